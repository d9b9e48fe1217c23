package scheduler

import (
	"context"
	"fmt"
	"strings"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors/registry"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
)

// OpenJob compiles a job's mapping and opens its source and target. It does
// no network I/O: a target connects on its first call. st is the state
// store a source may read (the scim source); nil only validates.
func OpenJob(ctx context.Context, file *config.File, index int, st store.Store, logger *zap.Logger) (*Job, error) {
	jc := file.Jobs[index]
	key := fmt.Sprintf("jobs[%d]", index)
	env := registry.Env{BaseDir: file.Dir, Logger: logger.With(zap.String("job", jc.Name)), Store: st}
	rules, err := mapping.Compile(jc.Mapping, key+".mapping")
	if err != nil {
		return nil, err
	}
	src, err := registry.OpenSource(ctx, jc.Source, key, env)
	if err != nil {
		return nil, err
	}
	tgt, err := registry.OpenTarget(ctx, jc.Target, key, env)
	if err != nil {
		return nil, err
	}
	guard := Guard{MaxDeleteRatio: DefaultMaxDeleteRatio, MaxDeleteCount: DefaultMaxDeleteCount}
	if r := jc.Guard.MaxDeleteRatio; r != nil {
		guard.MaxDeleteRatio = *r
	}
	if n := jc.Guard.MaxDeleteCount; n != nil {
		guard.MaxDeleteCount = *n
	}
	var kinds []mapping.Kind
	for _, k := range jc.Kinds {
		kinds = append(kinds, mapping.Kind(strings.TrimSuffix(k, "s")))
	}
	return &Job{Name: jc.Name, SourceType: jc.Source.Type, Source: src, Rules: rules, Target: tgt, Guard: guard, Leavers: jc.Leavers, Concurrency: jc.Concurrency, Kinds: kinds}, nil
}

// FindJob returns the index of the named job; an empty name selects the
// only job of a one-job config.
func FindJob(file *config.File, name string) (int, error) {
	if name == "" {
		if len(file.Jobs) == 1 {
			return 0, nil
		}
		names := make([]string, len(file.Jobs))
		for i, j := range file.Jobs {
			names[i] = j.Name
		}
		return -1, fmt.Errorf("the config has %d jobs; choose one with --job (%v)", len(file.Jobs), names)
	}
	for i, j := range file.Jobs {
		if j.Name == name {
			return i, nil
		}
	}
	return -1, fmt.Errorf("no job named %q in %s", name, file.Path)
}
