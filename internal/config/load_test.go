package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orgbridge/orgbridge/internal/config"
)

func TestLoadValidAppliesDefaults(t *testing.T) {
	f, err := config.Load(filepath.Join("testdata", "valid.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	j := f.Jobs[0]
	if f.Store.Driver != "sqlite" || f.Store.Path != config.DefaultStorePath || j.Leavers != "suspend" || j.Concurrency != 4 || j.Source.CSV.Encoding != "auto" {
		t.Errorf("defaults not applied: store=%+v job=%+v", f.Store, j)
	}
	if f.Dir != "testdata" {
		t.Errorf("Dir = %q", f.Dir)
	}
}

func TestLoadErrorsNameLineOrKey(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"unknown-key.yaml", []string{`testdata/unknown-key.yaml:7: unknown key "encodng"`}},
		{"wrong-type.yaml", []string{"testdata/wrong-type.yaml:3: cannot unmarshal !!str `many` into int"}},
		{"empty.yaml", []string{"testdata/empty.yaml: the config is empty"}},
		{"duplicate-job.yaml", []string{`testdata/duplicate-job.yaml: jobs[1].name: "a" is also the name of jobs[0]`}},
		{"bad-scim.yaml", []string{
			`testdata/bad-scim.yaml: scim.tokens[0]: one of env and file is required`,
			`scim.tokens[1]: one of env and file is required`,
			`scim.tls: cert_file and key_file are both required`,
			`scim.max_results: -1 is negative`,
			`scim.public_url: "scim.example.com/v2" is not http(s)://host[/prefix]`,
		}},
		{"bad-values.yaml", []string{
			`testdata/bad-values.yaml: store.driver: "mysql" is not a known store (known: sqlite, postgres)`,
			`log.format: "xml" is not console or json`,
			`jobs[0].name: "HR Sync" must be lower-case letters, digits, '-' and '_'`,
			`jobs[0].source.type: "oracle" is not a known type (known: csv, ldap, scim)`,
			`jobs[0].guard.max_delete_ratio: 1.5 is not between 0 and 1`,
			`jobs[0].leavers: "archive" is not suspend or delete`,
			`jobs[0].concurrency: 100 is not between 1 and 64`,
			`jobs[1].source.csv: required when type is "csv"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := config.Load(filepath.Join("testdata", tt.file))
			if err == nil {
				t.Fatal("loaded; want an error")
			}
			if diff := cmp.Diff(tt.want, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("error lines (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSecretResolve(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ORGBRIDGE_TEST_SECRET", "from-env")
	tests := []struct {
		name    string
		secret  config.Secret
		want    string
		wantErr string
	}{
		{"env", config.Secret{Env: "ORGBRIDGE_TEST_SECRET"}, "from-env", ""},
		{"file relative to the config", config.Secret{File: "secret.txt"}, "s3cret", ""},
		{"env unset", config.Secret{Env: "ORGBRIDGE_TEST_UNSET"}, "", "k.client_secret: environment variable ORGBRIDGE_TEST_UNSET is not set"},
		{"file missing", config.Secret{File: "nope.txt"}, "", "k.client_secret: read secret file: open " + filepath.Join(dir, "nope.txt") + ": no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.secret.Resolve("k.client_secret", dir)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Resolve = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
