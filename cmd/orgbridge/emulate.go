package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors/aircourse/emulator"
)

// Demo credentials: the emulator accepts them by default and
// configs/demo.yaml uses them. They guard nothing but a local emulator.
const (
	demoClientID     = "6f1c2a7e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
	demoClientSecret = "demo-secret"
	demoSecretEnv    = "AIRCOURSE_CLIENT_SECRET"
)

type emulateFlags struct {
	addr      string
	clientID  string
	secretEnv string
	rateLimit int
	rate429   float64
	rate5xx   float64
	latency   time.Duration
	seed      int64
}

// emulators lists what `orgbridge emulate NAME` serves.
var emulators = map[string]func(f emulateFlags, logger *zap.Logger) (http.Handler, error){
	"aircourse": func(f emulateFlags, logger *zap.Logger) (http.Handler, error) {
		secret := os.Getenv(f.secretEnv)
		if secret == "" {
			secret = demoClientSecret
		}
		emu := emulator.New(emulator.Options{
			RateLimit: f.rateLimit,
			Faults:    emulator.Faults{Rate429: f.rate429, Rate5xx: f.rate5xx, Latency: f.latency, Seed: f.seed},
			Logger:    logger,
		})
		emu.AddClient(f.clientID, secret)
		return emu, nil
	},
}

func emulatorNames() []string {
	names := make([]string, 0, len(emulators))
	for n := range emulators {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (a *app) emulateCommand() *cobra.Command {
	var f emulateFlags
	cmd := &cobra.Command{
		Use:   "emulate NAME [--addr HOST:PORT]",
		Short: "Serve an emulator of a management API (" + strings.Join(emulatorNames(), ", ") + ")",
		Long: `emulate serves an in-memory emulator of a management API that follows its
document to the letter (auth, ids, validation, errors, rate limits), for
trials and tests. State lives in memory and is lost on exit.

The AirCourse emulator accepts one OAuth2 client: --client-id, with the
secret from the environment variable named by --client-secret-env, or the
demo secret when that variable is unset (configs/demo.yaml uses both).`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("emulate takes one emulator name (%s)", strings.Join(emulatorNames(), ", "))
			}
			if _, ok := emulators[args[0]]; !ok {
				return fmt.Errorf("unknown emulator %q (known: %s)", args[0], strings.Join(emulatorNames(), ", "))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			handler, err := emulators[args[0]](f, a.logger.With(zap.String("emulator", args[0])))
			if err != nil {
				return usageError(err)
			}
			return a.serve(cmd.Context(), args[0], f.addr, handler)
		},
	}
	cmd.Flags().StringVar(&f.addr, "addr", "127.0.0.1:8081", "address to listen on")
	cmd.Flags().StringVar(&f.clientID, "client-id", demoClientID, "OAuth2 client id the emulator accepts")
	cmd.Flags().StringVar(&f.secretEnv, "client-secret-env", demoSecretEnv, "environment variable holding the client secret (unset: the demo secret)")
	cmd.Flags().IntVar(&f.rateLimit, "rate-limit", 0, "requests per minute per client IP (0: the document's 60; negative: unlimited)")
	cmd.Flags().Float64Var(&f.rate429, "fault-429", 0, "share of requests answered 429, for tests")
	cmd.Flags().Float64Var(&f.rate5xx, "fault-5xx", 0, "share of requests answered 5xx, for tests")
	cmd.Flags().DurationVar(&f.latency, "latency", 0, "latency added to every request")
	cmd.Flags().Int64Var(&f.seed, "seed", 1, "seed of the fault injection")
	return cmd
}

// serve runs handler on addr until ctx ends, then shuts down gracefully.
func (a *app) serve(ctx context.Context, name, addr string, handler http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return failedError(fmt.Errorf("listen on %s: %w", addr, err))
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	a.logger.Info("emulator serving", zap.String("emulator", name), zap.String("url", "http://"+ln.Addr().String()))
	fmt.Fprintf(a.stdout, "%s emulator on http://%s (Ctrl-C to stop)\n", name, ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return failedError(err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return failedError(err)
	}
	return nil
}
