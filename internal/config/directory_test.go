package config_test

import (
	"github.com/orgbridge/orgbridge/connectors/directory"
	"github.com/orgbridge/orgbridge/connectors/registry"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The directory block's status_values and managed_account_types decode
// into the connector's own settings type (their rules have files in
// testdata/rules).
func TestDirectoryBlock(t *testing.T) {
	f, err := registry.Load(filepath.Join("testdata", "directory.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	d := f.Jobs[0].Target.Settings.(*directory.Config)
	if d == nil {
		t.Fatal("no directory block")
	}
	if diff := cmp.Diff(directory.StatusValues{Active: "ACTIVE", Suspended: "INACTIVE"}, d.StatusValues); diff != "" {
		t.Errorf("status_values (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"standard", "admin"}, d.ManagedAccountTypes); diff != "" {
		t.Errorf("managed_account_types (-want +got):\n%s", diff)
	}

}
