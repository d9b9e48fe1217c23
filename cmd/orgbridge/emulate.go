package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors/aircourse/emulator"
	capgoemu "github.com/orgbridge/orgbridge/connectors/capgo/emulator"
	diremu "github.com/orgbridge/orgbridge/connectors/directory/emulator"
	pcemu "github.com/orgbridge/orgbridge/connectors/pcaid/emulator"
	taemu "github.com/orgbridge/orgbridge/connectors/tenantadmin/emulator"
	"github.com/orgbridge/orgbridge/internal/emukit"
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
	// rateLimit is --rate-limit parsed (parseRateLimit): 0 the
	// emulator's document's limit, negative none, else requests a minute.
	rateLimit int
	// rateLimitArg is --rate-limit as given.
	rateLimitArg string
	rate429      float64
	rate5xx      float64
	latency      time.Duration
	seed         int64
	// readingNames is --reading as given; readings is it parsed against
	// the emulator's catalogue.
	readingNames []string
	readings     emukit.Set
}

// kit is the part of its Options every emulator takes alike: the readings
// of --reading, the limit of --rate-limit, the faults of --fault-429,
// --fault-5xx, --latency and --seed, and the logger.
func (f emulateFlags) kit(logger *zap.Logger) emukit.Options {
	return emukit.Options{
		Readings:  f.readings,
		RateLimit: f.rateLimit,
		Faults:    emukit.Faults{Rate429: f.rate429, Rate5xx: f.rate5xx, Latency: f.latency, Seed: f.seed},
		Logger:    logger,
	}
}

// tenantAdminTokenEnv is the variable configs/tenantadmin.yaml reads its
// token from.
const tenantAdminTokenEnv = "TENANTADMIN_TOKEN"

// emulatorSpec is one emulator `orgbridge emulate NAME` serves.
type emulatorSpec struct {
	port int
	// credentials says, without the secret, what the emulator accepts.
	credentials string
	// readings are the readings of its document it serves besides the
	// default, each behind --reading.
	readings emukit.Readings
	// build makes the emulator of the flags, its Options' emukit part
	// from f.kit as every other's.
	build func(f emulateFlags, logger *zap.Logger) http.Handler
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// secretOr returns the environment variable's value, or the demo value.
func secretOr(env, demo string) string {
	if v := os.Getenv(env); v != "" {
		return v
	}
	return demo
}

var emulators = map[string]emulatorSpec{
	"aircourse": {
		port:        8081,
		readings:    emulator.Readings,
		credentials: "OAuth2 client --client-id (default " + demoClientID + ") with the secret from $" + demoSecretEnv + " (or the demo secret)",
		build: func(f emulateFlags, logger *zap.Logger) http.Handler {
			emu := emulator.New(emulator.Options{
				Options: f.kit(logger),
			})
			emu.AddClient(orDefault(f.clientID, demoClientID), secretOr(orDefault(f.secretEnv, demoSecretEnv), demoClientSecret))
			return emu
		},
	},
	"tenantadmin": {
		port:        8082,
		readings:    taemu.Readings,
		credentials: "the bearer token from $" + tenantAdminTokenEnv + " (or the demo token in configs/tenantadmin.yaml), and the demo's users usr_1001…usr_1012",
		build: func(f emulateFlags, logger *zap.Logger) http.Handler {
			emu := taemu.New(taemu.Options{
				Options: f.kit(logger),
				Users:   taemu.DemoUsers(),
			})
			emu.AddToken(secretOr(tenantAdminTokenEnv, taemu.DemoToken))
			return emu
		},
	},
	"pcaid": {
		port:        pcemu.DefaultPort,
		readings:    pcemu.Readings,
		credentials: "OAuth2 client --client-id (default " + pcemu.DemoClientID + ") with the secret from $" + pcemu.DemoSecretEnv + " (or the demo secret), under " + pcemu.Prefix,
		build: func(f emulateFlags, logger *zap.Logger) http.Handler {
			emu := pcemu.New(pcemu.Options{
				Options:          f.kit(logger),
				OrganizationName: pcemu.DemoOrganizationName,
			})
			emu.AddClient(orDefault(f.clientID, pcemu.DemoClientID), secretOr(orDefault(f.secretEnv, pcemu.DemoSecretEnv), pcemu.DemoClientSecret))
			return emu
		},
	},
	"directory": {
		port:        diremu.DefaultPort,
		readings:    diremu.Readings,
		credentials: "OAuth2 client --client-id (default " + diremu.DemoClientID + ") with the secret from $" + diremu.DemoSecretEnv + " (or the demo secret), organization " + diremu.DemoOrganizationID,
		build: func(f emulateFlags, logger *zap.Logger) http.Handler {
			emu := diremu.New(diremu.Options{
				Options: f.kit(logger),
			})
			emu.AddClient(orDefault(f.clientID, diremu.DemoClientID), secretOr(orDefault(f.secretEnv, diremu.DemoSecretEnv), diremu.DemoClientSecret))
			emu.AddOrganization(diremu.DemoOrganizationID, diremu.DemoAccountTypes...)
			return emu
		},
	},
	"capgo": {
		port:        capgoemu.DefaultPort,
		readings:    capgoemu.Readings,
		credentials: "the API key from $" + capgoemu.DemoAPIKeyEnv + " (or the demo key in configs/capgo.yaml)",
		build: func(f emulateFlags, logger *zap.Logger) http.Handler {
			emu := capgoemu.New(capgoemu.Options{
				Options: f.kit(logger),
			})
			emu.AddAPIKey(secretOr(capgoemu.DemoAPIKeyEnv, capgoemu.DemoAPIKey), capgoemu.DemoUserID, capgoemu.DemoEmail)
			return emu
		},
	},
}

func emulatorPorts() string {
	var ports []string
	for _, name := range emulatorNames() {
		ports = append(ports, fmt.Sprintf("%s %d", name, emulators[name].port))
	}
	return strings.Join(ports, ", ")
}

// readingsHelp lists every emulator's readings for --help.
func readingsHelp() string {
	var b strings.Builder
	for _, name := range emulatorNames() {
		rs := emulators[name].readings
		if len(rs) == 0 {
			fmt.Fprintf(&b, "%s: the default reading only\n", name)
			continue
		}
		fmt.Fprintf(&b, "%s:\n%s", name, rs.Doc())
	}
	return b.String()
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

Each emulator accepts the demo credentials of its example config in
configs/ (aircourse: demo.yaml; the others: NAME.yaml), or the secret from
the environment variable that config names. The AirCourse one accepts one
OAuth2 client: --client-id, with the secret from the variable named by
--client-secret-env.

Where its document allows more than one reading (a required list that may
be empty, what a list contains, enum values, the shape of an error body,
the rate-limit window), an emulator serves the first by default and each
other behind --reading NAME[,NAME]. The readings of each emulator:

` + readingsHelp(),
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
			spec := emulators[args[0]]
			readings, err := spec.readings.Parse(f.readingNames)
			if err != nil {
				return usageError(fmt.Errorf("--reading: %w", err))
			}
			f.readings = readings
			if f.rateLimit, err = parseRateLimit(f.rateLimitArg); err != nil {
				return usageError(err)
			}
			addr := f.addr
			if addr == "" {
				addr = fmt.Sprintf("127.0.0.1:%d", spec.port)
			}
			handler := spec.build(f, a.logger.With(zap.String("emulator", args[0])))
			fmt.Fprintf(a.stdout, "%s accepts %s\n", args[0], spec.credentials)
			return a.serve(cmd.Context(), args[0], addr, handler)
		},
	}
	cmd.Flags().StringVar(&f.addr, "addr", "", "address to listen on (default 127.0.0.1 and the emulator's port: "+emulatorPorts()+")")
	cmd.Flags().StringVar(&f.clientID, "client-id", "", "OAuth2 client id the emulator accepts (default: the emulator's demo client)")
	cmd.Flags().StringVar(&f.secretEnv, "client-secret-env", "", "environment variable holding the client secret (default: the one its example config names; unset: the demo secret)")
	cmd.Flags().StringVar(&f.rateLimitArg, "rate-limit", "", "requests per minute per client IP, or off for no limit (default: the emulator's document's limit, aircourse's 60)")
	cmd.Flags().Float64Var(&f.rate429, "fault-429", 0, "share of requests answered 429, for tests")
	cmd.Flags().Float64Var(&f.rate5xx, "fault-5xx", 0, "share of requests answered 5xx, for tests")
	cmd.Flags().DurationVar(&f.latency, "latency", 0, "latency added to every request")
	cmd.Flags().Int64Var(&f.seed, "seed", 1, "seed of the fault injection")
	cmd.Flags().StringSliceVar(&f.readingNames, "reading", nil, "readings of the document to serve besides the default (comma-separated; see above)")
	return cmd
}

// parseRateLimit reads --rate-limit as the emulators' Options.RateLimit
// takes it: "" the document's limit (0), "off" no limit (-1), else a
// positive number a minute. 0 and negatives are refused: an emulator's 0
// means its document's limit and a negative none, which a reader of
// `--rate-limit 0` would take the other way round.
func parseRateLimit(arg string) (int, error) {
	switch strings.ToLower(strings.TrimSpace(arg)) {
	case "":
		return 0, nil
	case "off", "none", "unlimited":
		return -1, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(arg))
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("--rate-limit %q: give a positive number of requests a minute, or off for no limit", arg)
	}
	return n, nil
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
