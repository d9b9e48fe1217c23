package config_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/connectors/registry"
	"github.com/orgbridge/orgbridge/internal/golden"
)

// A YAML syntax error names the line that is wrong, not the start of the
// block yaml was parsing (each file's first line says where yaml points).
// The files are configs/demo.yaml with one line broken.
func TestSyntaxErrors(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "syntax", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no syntax files: %v", err)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			_, err := registry.Load(path)
			if err == nil {
				t.Fatal("loaded; want a syntax error")
			}
			golden.Check(t, strings.TrimSuffix(path, ".yaml")+".err", err.Error()+"\n", *update)
		})
	}
}
