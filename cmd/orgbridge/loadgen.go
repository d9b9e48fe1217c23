package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/internal/scimload"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/scim"
)

// loadgenCommand is `orgbridge loadgen`, hidden: an operator's and `make
// bench`'s tool, not part of what orgbridge does for a user. It lives in
// the one binary so that it loads the endpoint of the same build, and its
// logic in internal/scimload.
func (a *app) loadgenCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:    "loadgen",
		Short:  "Put an orgbridge endpoint under load (make bench)",
		Hidden: true,
	}
	cmd.AddCommand(a.loadgenSCIMCommand())
	return cmd
}

type loadgenFlags struct {
	url         string
	tokenEnv    string
	allowRemote bool
	db          string
	users       int
	seedOnly    bool
	ops         []string
	concurrency int
	requests    int
	duration    time.Duration
	cpuProfile  string
}

func (a *app) loadgenSCIMCommand() *cobra.Command {
	var f loadgenFlags
	cmd := &cobra.Command{
		Use:   "scim",
		Short: "GET by userName filter, POST and PATCH /Users under load; requests/s, p50 and p99 each",
		Long: `loadgen scim sends, phase after phase, GET /Users?filter=userName eq "…"
of seeded users, POST /Users of new ones and PATCH /Users/{id} of seeded
ones, --concurrency clients at a time, each phase until --requests were
sent or --duration passed, and prints requests a second and the 50th and
99th percentile of latency for each as a markdown table.

Against a running endpoint (orgbridge serve): --url http://127.0.0.1:PORT/scim/v2
with its token in the variable --token-env names; the users must have been
seeded (--db FILE --seed-only, and serve that file). The URL must be
loopback unless --allow-remote.

In-process: --db FILE without --url serves the SCIM handler on 127.0.0.1
over a copy of FILE, a SQLite database of --users users kept between runs
(stored into FILE first when it holds fewer), so that every run starts
from the same data.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.loadgenSCIM(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.url, "url", "", "the endpoint's base URL, ending in /scim/v2 (loopback unless --allow-remote)")
	fl.StringVar(&f.tokenEnv, "token-env", "SCIM_TOKEN", "the environment variable holding the bearer token for --url")
	fl.BoolVar(&f.allowRemote, "allow-remote", false, "let --url name a host other than loopback")
	fl.StringVar(&f.db, "db", "", "a SQLite database of seeded users, kept between runs (stored first when it holds fewer than --users)")
	fl.IntVar(&f.users, "users", 100_000, "the seeded users")
	fl.BoolVar(&f.seedOnly, "seed-only", false, "store the users into --db and stop")
	fl.StringSliceVar(&f.ops, "ops", scimload.Ops, "the phases, in order: get, post, patch")
	fl.IntVar(&f.concurrency, "concurrency", 8, "clients sending at once")
	fl.IntVar(&f.requests, "requests", 20000, "at most this many requests a phase")
	fl.DurationVar(&f.duration, "duration", 30*time.Second, "at most this long a phase")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the run (in-process: server and clients) to this file")
	return cmd
}

func (a *app) loadgenSCIM(ctx context.Context, f loadgenFlags) error {
	if f.users <= 0 || f.concurrency <= 0 || f.requests <= 0 || f.duration <= 0 {
		return usageError(errors.New("loadgen scim: --users, --concurrency, --requests and --duration must be positive"))
	}
	if f.url == "" && f.db == "" {
		return usageError(errors.New("loadgen scim: give --url (a running endpoint) or --db (in-process)"))
	}
	if f.seedOnly && f.db == "" {
		return usageError(errors.New("loadgen scim: --seed-only needs --db"))
	}
	if f.url != "" {
		if err := scimload.CheckLoopback(f.url, f.allowRemote); err != nil {
			return usageError(fmt.Errorf("loadgen scim: --url: %w", err))
		}
	}
	if f.db != "" {
		if err := a.seedKept(ctx, f.db, f.users); err != nil {
			return failedError(err)
		}
		if f.seedOnly {
			return nil
		}
	}
	cfg := scimload.Config{BaseURL: f.url, Users: f.users, Ops: f.ops, Concurrency: f.concurrency,
		Requests: f.requests, Duration: f.duration, AllowRemote: f.allowRemote}
	where := f.url
	if f.url != "" {
		cfg.Token = os.Getenv(f.tokenEnv)
		if cfg.Token == "" {
			return usageError(fmt.Errorf("loadgen scim: $%s (--token-env) is empty", f.tokenEnv))
		}
	} else {
		stop, err := a.serveCopy(ctx, f.db, &cfg)
		if err != nil {
			return failedError(err)
		}
		defer stop()
		where = "in-process handler over a copy of " + f.db
	}
	if f.cpuProfile != "" {
		pf, err := os.Create(f.cpuProfile)
		if err != nil {
			return failedError(fmt.Errorf("loadgen scim: --cpuprofile: %w", err))
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return failedError(fmt.Errorf("loadgen scim: --cpuprofile: %w", err))
		}
		defer pprof.StopCPUProfile()
	}
	results, err := scimload.Run(ctx, cfg)
	printLoad(a.stdout, where, f, results)
	if err != nil {
		return failedError(fmt.Errorf("loadgen scim: %w", err))
	}
	for _, r := range results {
		if r.Errors > 0 {
			return failedError(fmt.Errorf("loadgen scim: %s: %d of %d requests failed, the first: %s", r.Op, r.Errors, r.Requests, r.FirstError))
		}
	}
	return nil
}

// seedKept stores users into the SQLite database at path until it holds
// n.
func (a *app) seedKept(ctx context.Context, path string, n int) error {
	st, err := store.OpenSQLite(ctx, path, a.logger.Named("store"))
	if err != nil {
		return fmt.Errorf("loadgen scim: --db: %w", err)
	}
	defer st.Close()
	t0 := time.Now()
	stored, err := scimload.Seed(ctx, st, n, func(done int) {
		a.logger.Info("seeding users", zap.Int("stored", done), zap.Int("of", n))
	})
	if err != nil {
		return fmt.Errorf("loadgen scim: seed %s: %w", path, err)
	}
	if stored > 0 {
		a.logger.Info("seeded users", zap.String("db", path), zap.Int("stored", stored), zap.Duration("took", time.Since(t0)))
	}
	return st.Close()
}

// serveCopy serves the SCIM handler on a free 127.0.0.1 port over a copy
// of the database at path, with a token of its own, and points cfg at it.
func (a *app) serveCopy(ctx context.Context, path string, cfg *scimload.Config) (stop func(), err error) {
	dir, err := os.MkdirTemp("", "orgbridge-loadgen-")
	if err != nil {
		return nil, fmt.Errorf("loadgen scim: %w", err)
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	copyPath := filepath.Join(dir, "scim.db")
	for _, suffix := range []string{"", "-wal"} {
		if err := copyFile(path+suffix, copyPath+suffix); err != nil && !(suffix != "" && errors.Is(err, fs.ErrNotExist)) {
			cleanup()
			return nil, fmt.Errorf("loadgen scim: copy %s: %w", path, err)
		}
	}
	st, err := store.OpenSQLite(ctx, copyPath, a.logger.Named("store"))
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("loadgen scim: %w", err)
	}
	var raw [24]byte
	_, _ = rand.Read(raw[:])
	cfg.Token = hex.EncodeToString(raw[:])
	h, err := scim.New(scim.Options{Store: st, Tokens: []string{cfg.Token}, Logger: a.logger.Named("scim")})
	if err != nil {
		_ = st.Close()
		cleanup()
		return nil, fmt.Errorf("loadgen scim: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle(scim.BasePath+"/", h)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = st.Close()
		cleanup()
		return nil, fmt.Errorf("loadgen scim: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	cfg.BaseURL = "http://" + ln.Addr().String() + scim.BasePath
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		_ = st.Close()
		cleanup()
	}, nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

// printLoad writes the results as a markdown table.
func printLoad(w io.Writer, where string, f loadgenFlags, results []scimload.Result) {
	fmt.Fprintf(w, "SCIM load: %s, %d users seeded, %d clients, at most %d requests or %s a phase\n\n", where, f.users, f.concurrency, f.requests, f.duration)
	fmt.Fprintln(w, "| request | requests | errors | requests/s | p50 ms | p99 ms | max ms | CPU ms/request |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, r := range results {
		fmt.Fprintf(w, "| %s | %d | %d | %.0f | %s | %s | %s | %s |\n", loadLabel(r.Op), r.Requests, r.Errors, r.PerSecond(), ms(r.P50), ms(r.P99), ms(r.Max), ms(r.CPUPerRequest()))
	}
	fmt.Fprintln(w, "\nCPU is this process's (in-process: the server's and the clients'; with --url: the clients' alone).")
}

func loadLabel(op string) string {
	switch op {
	case scimload.OpGet:
		return "GET /Users?filter=userName eq"
	case scimload.OpPost:
		return "POST /Users"
	case scimload.OpPatch:
		return "PATCH /Users/{id}"
	}
	return strings.ToUpper(op)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }
