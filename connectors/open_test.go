package connectors_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/mapping"
)

// fakeBlock is a source and a target settings block whose Open fails with
// openErr, or returns itself.
type fakeBlock struct{ openErr error }

func (fakeBlock) Validate() error { return nil }
func (fakeBlock) Check(context.Context, connectors.CheckEnv) []connectors.CheckResult {
	return nil
}
func (fakeBlock) Read(context.Context) ([]connectors.Record, error) { return nil, nil }

type fakeSourceBlock struct{ fakeBlock }

func (b fakeSourceBlock) Open(_ context.Context, env connectors.Env) (connectors.Source, error) {
	if env.Logger == nil {
		return nil, errors.New("opened without a logger")
	}
	return b, b.openErr
}

type fakeTargetBlock struct{ fakeBlock }

func (fakeTargetBlock) Capabilities() connectors.Capabilities           { return connectors.Capabilities{} }
func (fakeTargetBlock) Read(context.Context) (*mapping.Snapshot, error) { return nil, nil }
func (fakeTargetBlock) Apply(context.Context, connectors.Change, connectors.IDs) (connectors.Result, error) {
	return connectors.Result{}, nil
}
func (b fakeTargetBlock) Open(_ context.Context, env connectors.Env) (connectors.Target, error) {
	if env.Logger == nil {
		return nil, errors.New("opened without a logger")
	}
	return b, b.openErr
}

// notLoaded is settings that are no connector's block.
type notLoaded struct{}

func (notLoaded) Validate() error { return nil }

func TestOpenSourceAndTarget(t *testing.T) {
	var bad config.Problems
	bad.Add("path", "required")
	tests := []struct {
		name     string
		settings config.Settings
		source   bool
		want     string // "" for success
	}{
		{"source opens", fakeSourceBlock{}, true, ""},
		{"target opens", fakeTargetBlock{}, false, ""},
		{"source not loaded", notLoaded{}, true, `jobs[0].source: the "fake" source's settings were not loaded`},
		{"target not loaded", fakeSourceBlock{}, false, `jobs[0].target: the "fake" target's settings were not loaded`},
		{"source open fails", fakeSourceBlock{fakeBlock{bad.Err()}}, true, "jobs[0].source.fake.path: required"},
		{"target open fails", fakeTargetBlock{fakeBlock{bad.Err()}}, false, "jobs[0].target.fake.path: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var (
				opened any
				err    error
			)
			if tt.source {
				opened, err = connectors.OpenSource(context.Background(), config.Source{Type: "fake", Settings: tt.settings}, "jobs[0].source", connectors.Env{})
			} else {
				opened, err = connectors.OpenTarget(context.Background(), config.Target{Type: "fake", Settings: tt.settings}, "jobs[0].target", connectors.Env{})
			}
			if tt.want == "" {
				if err != nil || opened == nil {
					t.Fatalf("open: %v, %v; want the connector", opened, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("open: %v; want an error containing %q", err, tt.want)
			}
		})
	}
}
