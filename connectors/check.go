package connectors

import (
	"context"
	"fmt"

	"github.com/orgbridge/orgbridge/internal/config"
)

// Line is one check of a job's connector, as `validate` prints it and the
// admin API returns it.
type Line struct {
	// Job is the job's name; Key its path in the config ("jobs[0]").
	Job, JobKey string
	// Part is "source csv", "target aircourse".
	Part string
	CheckResult
}

// Error names the check's config key below the job, for Locate.
func (l Line) Error() error {
	if l.Err == nil {
		return nil
	}
	key := l.JobKey
	if l.Key != "" {
		key += "." + l.Key
	}
	return &config.FieldError{Key: key, Message: fmt.Sprintf("%s: %s: %v", l.Part, l.Check, l.Err)}
}

// CheckJob runs the checks of one loaded job's source and target: the
// local ones (LocalChecker: a CSV header against the templates) always,
// and with connect their Check (every connector has one: SourceConfig and
// TargetConfig require it), which connects.
func CheckJob(ctx context.Context, job config.Job, key string, connect bool, env Env) []Line {
	env = env.withLogger()
	cenv := CheckEnv{Env: env, Mapping: job.Mapping}
	var out []Line
	add := func(part string, rs []CheckResult) {
		for _, r := range rs {
			out = append(out, Line{Job: job.Name, JobKey: key, Part: part, CheckResult: r})
		}
	}
	srcPart, tgtPart := "source "+job.Source.Type, "target "+job.Target.Type
	if s, ok := job.Source.Settings.(Checker); ok && connect {
		add(srcPart, s.Check(ctx, cenv))
	} else if l, ok := job.Source.Settings.(LocalChecker); ok {
		add(srcPart, l.CheckLocal(ctx, cenv))
	}
	if !connect {
		return out
	}
	if t, ok := job.Target.Settings.(Checker); ok {
		add(tgtPart, t.Check(ctx, cenv))
	}
	return out
}
