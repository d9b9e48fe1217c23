package capgo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/orgbridge/orgbridge/connectors"
)

var _ connectors.Checker = (*Config)(nil)

// Check is validate --connect's test of the target: the first page of
// organizations with the API key, once (no retries: an unreachable API
// fails at once, saying why). Nothing is written.
func (c *Config) Check(ctx context.Context, env connectors.CheckEnv) []connectors.CheckResult {
	cfg := *c
	cfg.MaxRetries = connectors.NoRetries()
	t, err := cfg.Open(ctx, env.Env)
	if err != nil {
		return []connectors.CheckResult{{Check: "capgo settings", Key: "target.capgo", Err: err}}
	}
	r := connectors.CheckResult{Check: "read one page of organizations with the API key"}
	raw, err := t.(*Adapter).client.do(ctx, http.MethodGet, url.Values{"page": {"0"}}, nil)
	if err == nil {
		var orgs []Organization
		if orgs, err = decodeList(raw); err == nil {
			r.Detail = fmt.Sprintf("%d organization(s) on the page", len(orgs))
			return []connectors.CheckResult{r}
		}
	}
	keys := connectors.HTTPKeys{BaseURL: "target.capgo.base_url", Secret: "target.capgo.api_key", SecretName: "api_key"}
	switch {
	case errors.Is(err, ErrInvalidAPIKey):
		// Capgo says so in its body, whatever the status.
		r.Key, r.Err = keys.Secret, fmt.Errorf("401: bad credentials (api_key): %w", err)
	case errors.Is(err, ErrAdminRoleRequired):
		r.Key, r.Err = keys.Secret, fmt.Errorf("403: %w", err)
	default:
		r.Key, r.Err = connectors.ExplainHTTP(err, keys)
	}
	return []connectors.CheckResult{r}
}
