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
// and with connect every Checker, which connects. A connector without a
// Checker is checked, with connect, by opening it and reading once (its
// whole read: it has no cheaper one).
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
	switch s := job.Source.Settings.(type) {
	case Checker:
		if connect {
			add(srcPart, s.Check(ctx, cenv))
		} else if l, ok := s.(LocalChecker); ok {
			add(srcPart, l.CheckLocal(ctx, cenv))
		}
	case LocalChecker:
		add(srcPart, s.CheckLocal(ctx, cenv))
	default:
		if connect {
			add(srcPart, []CheckResult{readSource(ctx, job.Source, key, env)})
		}
	}
	if !connect {
		return out
	}
	if t, ok := job.Target.Settings.(Checker); ok {
		add(tgtPart, t.Check(ctx, cenv))
	} else {
		add(tgtPart, []CheckResult{readTarget(ctx, job.Target, key, env)})
	}
	return out
}

func readSource(ctx context.Context, src config.Source, key string, env Env) CheckResult {
	r := CheckResult{Check: "read the source"}
	s, err := OpenSource(ctx, src, key+".source", env)
	if err != nil {
		r.Err = err
		return r
	}
	recs, err := s.Read(ctx)
	if err != nil {
		r.Err = err
		return r
	}
	r.Detail = fmt.Sprintf("%d records", len(recs))
	return r
}

func readTarget(ctx context.Context, tgt config.Target, key string, env Env) CheckResult {
	r := CheckResult{Check: "read the target"}
	t, err := OpenTarget(ctx, tgt, key+".target", env)
	if err != nil {
		r.Err = err
		return r
	}
	snap, err := t.Read(ctx)
	if err != nil {
		r.Err = err
		return r
	}
	r.Detail = fmt.Sprintf("%d orgs, %d users, %d groups", len(snap.Orgs), len(snap.Users), len(snap.Groups))
	return r
}
