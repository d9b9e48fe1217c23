package connectors

import (
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/httpkit"
)

// HTTPOption adjusts the New of an HTTP target that has no options of its
// own (aircourse, capgo, tenantadmin), mostly for tests. A target with
// options of its own (pcaid, directory) names httpkit.Option at them and
// exports these three at that type.
type HTTPOption = httpkit.Option[struct{}]

// WithTransport, WithClock and WithRetryWait are httpkit's at HTTPOption:
// a transport, a clock (a fake one in tests, shared with an emulator) and
// the bounds of the backoff between retries.
var (
	WithTransport = httpkit.WithTransport[struct{}]
	WithClock     = httpkit.WithClock[struct{}]
	WithRetryWait = httpkit.WithRetryWait[struct{}]
)

// HTTPStart is what an HTTP target's New builds its client and adapter
// from (StartHTTP).
type HTTPStart[X, S any] struct {
	// Own are the target's own options, applied over its defaults.
	Own X
	// Settings are its config checked, with their defaults filled.
	Settings S
	// Secret is its credential, resolved.
	Secret string
	// HTTP is its clock, pacer and paced, retrying client.
	HTTP httpkit.TargetHTTP
	// Logger names the target in every entry.
	Logger *zap.Logger
}

// StartHTTP is the opening every HTTP target's New shares, in this order:
// apply opts over own (the target's defaults), name target in logger,
// check the config (check gets the applied own options, which may bear on
// it, and returns the target's settings and the HTTP ones; its
// *config.FieldErrors are returned as they are), resolve the secret at key
// (Open made a relative file absolute), and build the HTTP plumbing from
// the HTTP settings and options. It makes no request.
func StartHTTP[X, S any](target string, logger *zap.Logger, own X, opts []httpkit.Option[X],
	check func(X) (S, httpkit.HTTPSettings, error), secret config.Secret, key string) (HTTPStart[X, S], error) {
	o := httpkit.ApplyOptions(own, opts)
	st := HTTPStart[X, S]{Own: o.Own, Logger: httpkit.TargetLogger(logger, target)}
	s, hs, err := check(o.Own)
	if err != nil {
		return st, err
	}
	st.Settings = s
	if st.Secret, err = secret.Resolve(key, ""); err != nil {
		return st, err
	}
	st.HTTP = httpkit.NewTargetHTTP(hs, o.TargetOptions, st.Logger)
	return st, nil
}

// StartPlainHTTP is StartHTTP for a target without options of its own
// (HTTPOption), whose check needs none.
func StartPlainHTTP[S any](target string, logger *zap.Logger, opts []HTTPOption,
	check func() (S, httpkit.HTTPSettings, error), secret config.Secret, key string) (HTTPStart[struct{}, S], error) {
	return StartHTTP(target, logger, struct{}{}, opts, func(struct{}) (S, httpkit.HTTPSettings, error) { return check() }, secret, key)
}
