package connectors

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/orgbridge/orgbridge/internal/httpkit"
)

// HTTPKeys are the config keys of an HTTP target's check (below the job,
// "target.aircourse.base_url"), each named by the failure it explains.
type HTTPKeys struct {
	// BaseURL is named by a failure to reach the server (DNS, refused,
	// TLS, no answer) and by a 404.
	BaseURL string
	// Secret is named by a 401: the credentials were refused.
	Secret string
	// SecretName is what the 401 says was refused ("client_secret").
	SecretName string
	// Scope is named by a 403 (the credentials lack a right); "" names
	// Secret.
	Scope string
	// NotFound is what a 404 says is wrong; default "base_url".
	NotFound string
}

// ExplainHTTP says why an HTTP target's check failed, in the words an
// operator acts on, and names the key to look at: "DNS: no such host",
// "connection refused", "TLS: …", "401: bad credentials (client_secret)",
// "403: …", "404: … base_url is wrong". The original error follows the
// reason. An error it does not know is returned as it is, under Secret
// (nothing better to point at) when it is "", else BaseURL.
func ExplainHTTP(err error, keys HTTPKeys) (key string, why error) {
	if err == nil {
		return "", nil
	}
	var (
		dns  *net.DNSError
		se   *httpkit.StatusError
		ua   x509.UnknownAuthorityError
		he   x509.HostnameError
		ci   x509.CertificateInvalidError
		cve  *tls.CertificateVerificationError
		rhe  tls.RecordHeaderError
		ne   net.Error
		scop = keys.Scope
	)
	if scop == "" {
		scop = keys.Secret
	}
	switch {
	case errors.As(err, &se):
		switch se.Status {
		case http.StatusUnauthorized:
			return keys.Secret, fmt.Errorf("401: bad credentials (%s): %w", keys.SecretName, err)
		case http.StatusForbidden:
			return scop, fmt.Errorf("403: the credentials are valid but lack the right (scope or role) to read: %w", err)
		case http.StatusNotFound:
			what := keys.NotFound
			if what == "" {
				what = "base_url"
			}
			return keys.BaseURL, fmt.Errorf("404: the API is not at this URL, %s is wrong: %w", what, err)
		}
		return keys.BaseURL, err
	case errors.As(err, &dns):
		return keys.BaseURL, fmt.Errorf("DNS: host %q not found: %w", dns.Name, err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return keys.BaseURL, fmt.Errorf("connection refused: nothing listens at base_url's host and port: %w", err)
	case errors.As(err, &ua), errors.As(err, &he), errors.As(err, &ci), errors.As(err, &cve):
		return keys.BaseURL, fmt.Errorf("TLS: the server's certificate is not trusted for this host: %w", err)
	case errors.As(err, &rhe), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return keys.BaseURL, fmt.Errorf("TLS: the server does not speak TLS at this address (http://, not https://?): %w", err)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return keys.BaseURL, fmt.Errorf("no answer in time: %w", err)
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return keys.BaseURL, fmt.Errorf("the server cannot be reached: %w", err)
	}
	return keys.BaseURL, err
}

// NoRetries is the retry budget of a check: one attempt, so that a target
// that cannot be reached fails at once with its reason rather than after
// the backoff of a run's retries.
func NoRetries() *int {
	n := 0
	return &n
}

// CheckStep is one request of an HTTP target's check.
type CheckStep struct {
	// Check names what is tried ("read one page of users").
	Check string
	// Run makes the request, once; detail says what a success found.
	Run func(ctx context.Context) (detail string, err error)
	// Explain says why Run failed and names the key; nil is ExplainHTTP
	// with the check's keys (a target whose API says more in its body
	// than in its status sets it).
	Explain func(err error) (key string, why error)
}

// CheckHTTPTarget is validate --connect's test of an HTTP target, as
// Entra's "Test Connection" does it: open the target with no retries, so
// that an unreachable one fails at once and says why rather than after a
// run's backoff, then make each step's request once, in order, until one
// fails. client is the ClientConfig of the copy of the block that open
// reads (its max_retries is set to 0); name is the target's type, which a
// block that does not open is reported under. Nothing is written.
func CheckHTTPTarget[A Target](ctx context.Context, env CheckEnv, name string, client *httpkit.ClientConfig,
	open func(context.Context, Env) (Target, error), keys HTTPKeys, steps func(A) []CheckStep) []CheckResult {
	client.MaxRetries = NoRetries()
	t, err := open(ctx, env.Env)
	if err != nil {
		return []CheckResult{{Check: name + " settings", Key: "target." + name, Err: err}}
	}
	a, ok := t.(A)
	if !ok {
		return []CheckResult{{Check: name + " settings", Key: "target." + name, Err: fmt.Errorf("opened a %T, not a %T", t, a)}}
	}
	var out []CheckResult
	for _, s := range steps(a) {
		r := CheckResult{Check: s.Check}
		detail, err := s.Run(ctx)
		if err != nil {
			explain := s.Explain
			if explain == nil {
				explain = func(err error) (string, error) { return ExplainHTTP(err, keys) }
			}
			r.Key, r.Err = explain(err)
			return append(out, r)
		}
		r.Detail = detail
		out = append(out, r)
	}
	return out
}
