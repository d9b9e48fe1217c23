package scheduler

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
)

// OpenJob compiles a job's mapping and opens its source and target, whose
// settings config.Load decoded (with connectors/registry's types). It does
// no network I/O: a target connects on its first call. st is the state
// store a source may read (the scim source); nil only validates.
func OpenJob(ctx context.Context, file *config.File, index int, st store.Store, logger *zap.Logger) (*Job, error) {
	jc := file.Jobs[index]
	key := fmt.Sprintf("jobs[%d]", index)
	env := connectors.Env{BaseDir: file.Dir, Logger: logger.With(zap.String("job", jc.Name)), Store: st}
	rules, err := mapping.Compile(jc.Mapping, key+".mapping")
	if err != nil {
		return nil, err
	}
	src, err := connectors.OpenSource(ctx, jc.Source, key+".source", env)
	if err != nil {
		return nil, err
	}
	tgt, err := connectors.OpenTarget(ctx, jc.Target, key+".target", env)
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
	sched, err := parseSchedule(jc.Schedule, key+".schedule")
	if err != nil {
		return nil, err
	}
	if _, ok := src.(connectors.IncrementalSource); sched != nil && sched.Incremental != nil && !ok {
		return nil, fmt.Errorf("%s.schedule.incremental: the %s source reads only in full", key, jc.Source.Type)
	}
	q := QuarantinePolicy{Backoff: jc.Quarantine.Backoff, MaxBackoff: jc.Quarantine.MaxBackoff}
	if r := jc.Quarantine.FailureRatio; r != nil {
		q.FailureRatio = *r
	}
	return &Job{Name: jc.Name, SourceType: jc.Source.Type, TargetType: jc.Target.Type, Source: src, Rules: rules, Target: tgt,
		Guard: guard, Leavers: jc.Leavers, Concurrency: jc.Concurrency, Kinds: kinds, Schedule: sched, Quarantine: q}, nil
}

// cronParser takes the standard five fields and descriptors (@daily,
// @every 10m).
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

func parseSchedule(cfg *config.Schedule, key string) (*JobSchedule, error) {
	if cfg == nil {
		return nil, nil
	}
	s := &JobSchedule{FullSpec: cfg.Full, IncrementalSpec: cfg.Incremental, Location: time.Local}
	if cfg.TimeZone != "" {
		loc, err := time.LoadLocation(cfg.TimeZone)
		if err != nil {
			return nil, fmt.Errorf("%s.timezone: %w", key, err)
		}
		s.Location = loc
	}
	var err error
	if cfg.Full != "" {
		if s.Full, err = cronParser.Parse(cfg.Full); err != nil {
			return nil, fmt.Errorf("%s.full: %q: %w", key, cfg.Full, err)
		}
	}
	if cfg.Incremental != "" {
		if s.Incremental, err = cronParser.Parse(cfg.Incremental); err != nil {
			return nil, fmt.Errorf("%s.incremental: %q: %w", key, cfg.Incremental, err)
		}
	}
	return s, nil
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
