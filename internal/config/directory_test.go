package config_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orgbridge/orgbridge/internal/config"
)

// The directory block's status_values and managed_account_types decode
// (their values are checked by connectors/directory when it opens), and an
// unknown key under status_values is refused with its line.
func TestDirectoryBlock(t *testing.T) {
	f, err := config.Load(filepath.Join("testdata", "directory.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	d := f.Jobs[0].Target.Directory
	if d == nil {
		t.Fatal("no directory block")
	}
	if diff := cmp.Diff(config.DirectoryStatusValues{Active: "ACTIVE", Suspended: "INACTIVE"}, d.StatusValues); diff != "" {
		t.Errorf("status_values (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"standard", "admin"}, d.ManagedAccountTypes); diff != "" {
		t.Errorf("managed_account_types (-want +got):\n%s", diff)
	}

	_, err = config.Load(filepath.Join("testdata", "directory-unknown-status.yaml"))
	want := `testdata/directory-unknown-status.yaml:11: unknown key "inactive"`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want it to contain %q", err, want)
	}
}
