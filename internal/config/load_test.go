package config_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/connectors/csv"
	"github.com/orgbridge/orgbridge/connectors/registry"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/golden"
)

func TestLoadValidAppliesDefaults(t *testing.T) {
	f, err := registry.Load(filepath.Join("testdata", "valid.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	j := f.Jobs[0]
	if f.Store.Driver != "sqlite" || f.Store.Path != config.DefaultStorePath || j.Leavers != "suspend" || j.Concurrency != 4 || j.Source.Settings.(*csv.Config).Encoding != "" {
		t.Errorf("defaults not applied: store=%+v job=%+v", f.Store, j)
	}
	if f.Dir != "testdata" {
		t.Errorf("Dir = %q", f.Dir)
	}
}

var update = flag.Bool("update", false, "rewrite the testdata/rules/*.err golden files")

// TestRules loads each testdata/rules/NAME.yaml, a config that breaks one
// rule (alertmanager's config/testdata layout), and compares the error
// with NAME.err: file, line, key and message, exactly. Every rule of the
// config, of the mapping and of each connector's settings has its file;
// `go test ./internal/config -update` rewrites the .err files.
func TestRules(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "rules", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule files: %v", err)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			_, err := registry.Load(path)
			if err == nil {
				t.Fatal("loaded; want an error")
			}
			got := err.Error() + "\n"
			if n := strings.Count(got, "\n"); n != 1 {
				t.Errorf("%d errors; a rule file breaks one rule:\n%s", n, got)
			}
			golden.Check(t, strings.TrimSuffix(path, ".yaml")+".err", got, *update)
		})
	}
}

func TestEmptyConfig(t *testing.T) {
	_, err := registry.Load(filepath.Join("testdata", "empty.yaml"))
	if err == nil || err.Error() != "testdata/empty.yaml: the config is empty" {
		t.Errorf("err = %v", err)
	}
}

// Every problem of a file is reported at once, each with its line.
func TestLoadReportsEveryProblem(t *testing.T) {
	_, err := registry.Load(filepath.Join("testdata", "bad-values.yaml"))
	if err == nil {
		t.Fatal("loaded; want an error")
	}
	golden.Check(t, filepath.Join("testdata", "bad-values.err"), err.Error()+"\n", *update)
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
