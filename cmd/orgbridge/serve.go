package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/scheduler"
	"github.com/orgbridge/orgbridge/scim"
)

func (a *app) serveCommand() *cobra.Command {
	var configPath string
	cmd := &cobra.Command{
		Use:   "serve -c FILE",
		Short: "Serve the SCIM 2.0 endpoint and apply pushes to the targets within seconds",
		Long: `serve runs the SCIM 2.0 endpoint of the config's scim block (at /scim/v2, TLS
when scim.tls names a certificate and key) for identity providers such as
Entra ID and Okta. What they push is kept in the state store; every accepted
change triggers, after scim.debounce of quiet (default 2s, at most
scim.max_delay), an incremental sync of each job whose source is scim, for the
objects it touched. Run 'orgbridge sync' (for example nightly) for the full
reconciliation, which also applies deletions of users and groups.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			file, err := config.Load(configPath)
			if err != nil {
				return usageError(err)
			}
			return a.serveSCIM(cmd.Context(), file, nil)
		},
	}
	cmd.Flags().StringVarP(&configPath, "config", "c", "", "config file (required)")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}

// serveSCIM runs until ctx ends. ready, when set, receives the address the
// endpoint listens on (tests listen on port 0).
func (a *app) serveSCIM(ctx context.Context, file *config.File, ready chan<- string) error {
	sc := file.SCIM
	if sc == nil {
		return usageError(fmt.Errorf("%s: scim: required by serve (the endpoint to serve)", file.Path))
	}
	tokens := make([]string, len(sc.Tokens))
	for i, t := range sc.Tokens {
		v, err := t.Resolve(fmt.Sprintf("scim.tokens[%d]", i), file.Dir)
		if err != nil {
			return usageError(fmt.Errorf("%s: %w", file.Path, err))
		}
		tokens[i] = v
	}
	st, err := a.openStore(ctx, file)
	if err != nil {
		return err
	}
	defer st.Close()

	var jobs []*scheduler.Job
	for i := range file.Jobs {
		job, err := scheduler.OpenJob(ctx, file, i, st, a.logger)
		if err != nil {
			return usageError(fmt.Errorf("%s: %w", file.Path, err))
		}
		if job.SourceType == "scim" {
			jobs = append(jobs, job)
		}
	}
	if len(jobs) == 0 {
		a.logger.Warn("no job reads the scim source: pushes are stored but applied nowhere")
	}
	if _, _, err := st.Interrupted(ctx, ""); err != nil {
		return failedError(fmt.Errorf("check interrupted runs: %w", err))
	}

	runner := &scheduler.Runner{Store: st, Logger: a.logger}
	apply := func(ctx context.Context) {
		for _, job := range jobs {
			log := a.logger.With(zap.String("job", job.Name))
			res, err := runner.Sync(ctx, job, scheduler.RunOptions{Incremental: true})
			switch {
			case err != nil:
				log.Error("incremental sync after SCIM pushes failed", zap.Error(err))
			case res != nil:
				log.Info("incremental sync after SCIM pushes", zap.Int64("run_id", res.RunID),
					zap.Int("changes", len(res.Plan.Changes)), zap.Int("applied", res.Outcome.Applied))
			}
		}
	}
	debouncer := scheduler.NewDebouncer(sc.Debounce, sc.MaxDelay, apply)
	endpoint, err := scim.New(scim.Options{
		Store: st, Tokens: tokens, MaxBodyBytes: sc.MaxBodyBytes, MaxResults: sc.MaxResults,
		Logger: a.logger.Named("scim"), OnChange: debouncer.Notify,
	})
	if err != nil {
		return failedError(err)
	}
	mux := http.NewServeMux()
	mux.Handle(scim.BasePath+"/", endpoint)
	mux.Handle(scim.BasePath, endpoint)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	ln, err := net.Listen("tcp", sc.Listen)
	if err != nil {
		return failedError(fmt.Errorf("scim.listen: %w", err))
	}
	scheme := "http"
	if sc.TLS != nil {
		scheme = "https"
	}
	a.logger.Info("serving SCIM", zap.String("url", fmt.Sprintf("%s://%s%s", scheme, ln.Addr(), scim.BasePath)), zap.Int("scim_jobs", len(jobs)))
	if ready != nil {
		ready <- ln.Addr().String()
	}

	runCtx, stopRuns := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); debouncer.Run(runCtx) }()
	// Pushes acknowledged before a restart but not yet applied are applied
	// now: the incremental read starts from the stored mark.
	debouncer.Notify()

	serveErr := make(chan error, 1)
	go func() {
		if sc.TLS != nil {
			serveErr <- srv.ServeTLS(ln, abs(file.Dir, sc.TLS.CertFile), abs(file.Dir, sc.TLS.KeyFile))
			return
		}
		serveErr <- srv.Serve(ln)
	}()
	var result error
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			result = failedError(fmt.Errorf("serve SCIM: %w", err))
		}
	}
	a.logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	// The pushes just acknowledged are stored; stop the runs (a run in
	// flight is journalled and resumed by the next start).
	stopRuns()
	wg.Wait()
	return result
}

func abs(dir, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}
