package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/admin"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/registry"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/metrics"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/scheduler"
	"github.com/orgbridge/orgbridge/scim"
)

func (a *app) serveCommand() *cobra.Command {
	var configPath string
	cmd := &cobra.Command{
		Use:   "serve -c FILE",
		Short: "Run as a service: schedules, the SCIM endpoint and the admin listener",
		Long: `serve runs orgbridge as a service until SIGTERM or SIGINT:
  - every job with a schedule runs on it (full, and optionally incremental,
    cron specs in the job's time zone); runs of one job never overlap; a job
    whose runs mostly fail is quarantined: its scheduled runs pause with a
    doubling backoff until a run succeeds; a plan the guard refuses is held
    for approval;
  - the SCIM 2.0 endpoint of the scim block (at /scim/v2, TLS when scim.tls
    is set): every accepted push triggers, after scim.debounce, an
    incremental run of each job whose source is scim;
  - the admin listener of the admin block: /healthz, /readyz, /metrics,
    /api/runs, /api/jobs/{name}/run, /api/approvals and the status page at /.
With store.driver postgres several replicas share one database: all serve
SCIM and the admin listener, and one at a time, chosen by an advisory lock,
runs the jobs. SIGTERM stops taking work, finishes the changes in flight,
journals the rest and exits; SIGHUP reloads the config (a config that does not
load is rejected and the old one kept).`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			file, err := registry.Load(configPath)
			if err != nil {
				return usageError(err)
			}
			return a.serveDaemon(cmd.Context(), configPath, file, nil)
		},
	}
	cmd.Flags().StringVarP(&configPath, "config", "c", "", "config file (required)")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}

// listening tells tests the addresses the daemon listens on.
type listening struct {
	SCIM, Admin string
}

// openJobs opens every job of the config against the store.
func (a *app) openJobs(ctx context.Context, file *config.File, st store.Store) ([]*scheduler.Job, error) {
	jobs := make([]*scheduler.Job, 0, len(file.Jobs))
	for i := range file.Jobs {
		job, err := scheduler.OpenJob(ctx, file, i, st, a.logger)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file.Path, err)
		}
		jobs = append(jobs, job)
	}
	return jobs, nil
}

// serveDaemon runs until ctx ends. ready, when set, receives the addresses
// listened on (tests listen on port 0). It binds the listeners and the
// signals; the daemon (scheduler.Daemon) holds the policy: schedules, the
// SCIM debounce, leadership, reload and the orderly stop of runs.
func (a *app) serveDaemon(ctx context.Context, configPath string, file *config.File, ready chan<- listening) error {
	hasSchedule := false
	for _, j := range file.Jobs {
		hasSchedule = hasSchedule || j.Schedule != nil
	}
	if file.SCIM == nil && file.Admin == nil && !hasSchedule {
		return usageError(fmt.Errorf("%s: nothing to serve: add a scim block, an admin block or a job schedule", file.Path))
	}
	// SIGHUP is listened for from the start, not once everything is up: a
	// reload asked for as the service comes up is then kept for the loop
	// (the channel holds one), where before it was lost, or, with no
	// listener at all yet, ended the process (the signal's default).
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	st, elector, err := a.openServeStore(ctx, file)
	if err != nil {
		return err
	}
	defer st.Close()
	jobs, err := a.openJobs(ctx, file, st)
	if err != nil {
		return usageError(err)
	}
	var daemon *scheduler.Daemon
	notifier, err := a.newNotifier(file, st, func() []scheduler.JobInfo { return daemon.Jobs() })
	if err != nil {
		return usageError(err)
	}
	opts := scheduler.DaemonOptions{Store: st, Logger: a.logger, Elector: elector, Hooks: notifyHooks(metricsHooks(), notifier)}
	if sc := file.SCIM; sc != nil {
		// With PostgreSQL every replica takes pushes; the leader polls
		// the store for those another replica took.
		opts.SCIM = &scheduler.SCIMOptions{Debounce: sc.Debounce, MaxDelay: sc.MaxDelay, Poll: file.Store.Driver == "postgres"}
	}
	daemon = scheduler.NewDaemon(jobs, opts)
	// The SCIM endpoint refuses what the scim jobs' mappings could never
	// map; reloads bring it the new mappings.
	admission := newSCIMAdmission(file, jobs)

	// loaded is the config as last loaded (SIGHUP), for the admin API's
	// connector checks.
	loaded := new(atomic.Pointer[config.File])
	loaded.Store(file)

	srv := &servers{log: a.logger, dir: file.Dir, errs: make(chan error, 2)}
	var lst listening
	if sc := file.SCIM; sc != nil {
		h, err := a.scimHandler(file, st, daemon.NotifySCIM, admission.mappings)
		if err != nil {
			return err
		}
		if lst.SCIM, err = srv.listen("scim", sc.Listen, h, sc.TLS); err != nil {
			return failedError(err)
		}
	}
	if ac := file.Admin; ac != nil {
		h, err := a.adminHandler(file, st, daemon, loaded)
		if err != nil {
			return err
		}
		if lst.Admin, err = srv.listen("admin", ac.Listen, h, nil); err != nil {
			return failedError(err)
		}
	}

	notifier.Start()
	if err := daemon.Start(ctx); err != nil {
		return failedError(err)
	}
	if ready != nil {
		ready <- lst
	}
	result := a.waitForSignals(ctx, hup, configPath, st, daemon, admission, loaded, srv.errs)
	a.logger.Info("shutting down: no new work; runs in flight finish their changes and journal the rest")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	srv.shutdown(shutdownCtx)
	_ = daemon.Stop(context.WithoutCancel(ctx)) // waits for the runs in flight, however long
	notifyCtx, cancelNotify := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancelNotify()
	if err := notifier.Close(notifyCtx); err != nil {
		a.logger.Warn("notifications not sent before the exit", zap.Error(err))
	}
	return result
}

// waitForSignals reloads the config on each SIGHUP from hup until ctx
// ends (SIGTERM, SIGINT) or a listener fails.
func (a *app) waitForSignals(ctx context.Context, hup <-chan os.Signal, configPath string, st store.Store, daemon *scheduler.Daemon, admission *scimAdmission, loaded *atomic.Pointer[config.File], errs <-chan error) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errs:
			return failedError(err)
		case <-hup:
			if file, jobs, err := a.reload(ctx, configPath, st); err != nil {
				a.logger.Error("SIGHUP: the new config is rejected; the old one stays", zap.Error(err))
			} else {
				daemon.Reload(jobs)
				admission.set(file, jobs)
				loaded.Store(file)
				a.logger.Info("SIGHUP: config reloaded (listeners, tokens and the store change only on restart)")
			}
		}
	}
}

// metricsHooks report the daemon's runs, changes, quarantines and
// leadership as metrics.
func metricsHooks() scheduler.DaemonHooks {
	return scheduler.DaemonHooks{
		Run: func(job, mode, outcome string, took time.Duration, finished time.Time) {
			metrics.ObserveRun(job, mode, outcome, took)
			if outcome == string(store.RunSucceeded) {
				metrics.SetLastSuccess(job, finished)
			}
		},
		Change: func(job string, ev scheduler.Event) {
			result := "applied"
			if ev.Err != nil {
				result = "failed"
			}
			metrics.ObserveChange(job, string(ev.Change.Kind), string(ev.Change.Action), result)
		},
		Quarantine: metrics.SetQuarantined,
		Leader:     metrics.SetLeader,
		HeldBack:   metrics.SetHeldBack,
	}
}

// scimHandler is the SCIM endpoint of the scim block; every accepted push
// calls onChange; mappings are the scim jobs' mappings a push is checked
// against.
func (a *app) scimHandler(file *config.File, st store.Store, onChange func(), mappings func() []scim.Mapping) (http.Handler, error) {
	sc := file.SCIM
	tokens := make([]string, len(sc.Tokens))
	for i, t := range sc.Tokens {
		v, err := t.Resolve(fmt.Sprintf("scim.tokens[%d]", i), file.Dir)
		if err != nil {
			return nil, usageError(fmt.Errorf("%s: %w", file.Path, err))
		}
		tokens[i] = v
	}
	endpoint, err := scim.New(scim.Options{
		Store: st, Tokens: tokens, MaxBodyBytes: sc.MaxBodyBytes, MaxResults: sc.MaxResults,
		PublicURL: sc.PublicURL, Logger: a.logger.Named("scim"), OnChange: onChange, Mappings: mappings,
	})
	if err != nil {
		return nil, failedError(err)
	}
	mux := http.NewServeMux()
	mux.Handle(scim.BasePath+"/", endpoint)
	mux.Handle(scim.BasePath, endpoint)
	return mux, nil
}

// adminHandler is the admin listener's handler of the admin block.
func (a *app) adminHandler(file *config.File, st store.Store, daemon *scheduler.Daemon, loaded *atomic.Pointer[config.File]) (http.Handler, error) {
	ac := file.Admin
	token, err := ac.Token.Resolve("admin.token", file.Dir)
	if err != nil {
		return nil, usageError(fmt.Errorf("%s: %w", file.Path, err))
	}
	replica := ac.Replica
	if replica == "" {
		replica, _ = os.Hostname()
	}
	h, err := admin.New(admin.Options{Store: st, Daemon: daemon, Token: token, MetricsPublic: ac.MetricsPublic,
		Metrics: metrics.Handler(), ReadyMaxFailedAge: ac.ReadyMaxFailedAge, Replica: replica, Logger: a.logger.Named("admin"),
		Check: a.connectorChecks(loaded, st)})
	if err != nil {
		return nil, failedError(err)
	}
	return h, nil
}

// connectorChecks runs validate --connect's checks of the jobs of the
// config as last loaded (at start or by SIGHUP) for POST /api/validate:
// each source and target connects and reads one page; a failure names its
// file and line.
func (a *app) connectorChecks(loaded *atomic.Pointer[config.File], st store.Store) func(context.Context) []connectors.Line {
	return func(ctx context.Context) []connectors.Line {
		file := loaded.Load()
		env := connectors.Env{BaseDir: file.Dir, Logger: a.logger.Named("validate"), Store: st}
		var out []connectors.Line
		for i, job := range file.Jobs {
			for _, l := range connectors.CheckJob(ctx, job, fmt.Sprintf("jobs[%d]", i), true, env) {
				if l.Err != nil && l.Key != "" {
					if at := locatedAt(file, l.Error()); at != "" {
						l.Err = fmt.Errorf("%w%s", l.Err, at)
					}
				}
				out = append(out, l)
			}
		}
		return out
	}
}

// servers are the daemon's HTTP listeners; errs receives the error of one
// that stops serving on its own.
type servers struct {
	log  *zap.Logger
	dir  string // the config's directory, for TLS files
	list []*http.Server
	errs chan error
}

// listen serves h on addr (with TLS when tlsCfg is set) and returns the
// address it listens on.
func (s *servers) listen(name, addr string, h http.Handler, tlsCfg *config.TLS) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("%s.listen: %w", name, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute}
	s.list = append(s.list, srv)
	go func() {
		var err error
		if tlsCfg != nil {
			err = srv.ServeTLS(ln, abs(s.dir, tlsCfg.CertFile), abs(s.dir, tlsCfg.KeyFile))
		} else {
			err = srv.Serve(ln)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			s.errs <- fmt.Errorf("%s: %w", name, err)
		}
	}()
	scheme := "http"
	if tlsCfg != nil {
		scheme = "https"
	}
	s.log.Info("listening", zap.String("listener", name), zap.String("url", fmt.Sprintf("%s://%s", scheme, ln.Addr())))
	return ln.Addr().String(), nil
}

// shutdown closes the listeners and waits for their requests, until ctx
// ends.
func (s *servers) shutdown(ctx context.Context) {
	for _, srv := range s.list {
		_ = srv.Shutdown(ctx)
	}
}

// reload loads and opens the config again for SIGHUP.
func (a *app) reload(ctx context.Context, path string, st store.Store) (*config.File, []*scheduler.Job, error) {
	file, err := registry.Load(path)
	if err != nil {
		return nil, nil, err
	}
	jobs, err := a.openJobs(ctx, file, st)
	if err != nil {
		return nil, nil, err
	}
	return file, jobs, nil
}

// openServeStore opens the store and the elector that picks the replica
// running the jobs: an advisory lock with PostgreSQL, the one process with
// SQLite.
func (a *app) openServeStore(ctx context.Context, file *config.File) (store.Store, scheduler.Elector, error) {
	st, err := a.openStore(ctx, file)
	if err != nil {
		return nil, nil, err
	}
	pg, ok := st.(*store.Postgres)
	if !ok {
		return st, scheduler.Solo{}, nil
	}
	leader, err := pg.Leader("scheduler")
	if err != nil {
		_ = pg.Close()
		return nil, nil, failedError(fmt.Errorf("leader lock: %w", err))
	}
	return &pgWithLeader{Postgres: pg, leader: leader}, leader, nil
}

// pgWithLeader closes the leader lock's connection with the store.
type pgWithLeader struct {
	*store.Postgres
	leader *store.Leader
}

func (p *pgWithLeader) Close() error {
	return errors.Join(p.leader.Close(), p.Postgres.Close())
}

func abs(dir, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}
