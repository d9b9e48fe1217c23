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

// checkKeys are the keys a failed check names.
var checkKeys = connectors.HTTPKeys{BaseURL: "target.capgo.base_url", Secret: "target.capgo.api_key", SecretName: "api_key"}

// Check is validate --connect's test of the target (CheckHTTPTarget): the
// first page of organizations with the API key, once. Nothing is written.
func (c *Config) Check(ctx context.Context, env connectors.CheckEnv) []connectors.CheckResult {
	cfg := *c
	return connectors.CheckHTTPTarget(ctx, env, "capgo", &cfg.ClientConfig, cfg.Open, checkKeys, func(a *Adapter) []connectors.CheckStep {
		return []connectors.CheckStep{{
			Check: "read one page of organizations with the API key",
			Run: func(ctx context.Context) (string, error) {
				raw, err := a.client.do(ctx, http.MethodGet, url.Values{"page": {"0"}}, nil)
				if err != nil {
					return "", err
				}
				orgs, err := decodeList(raw)
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("%d organization(s) on the page", len(orgs)), nil
			},
			Explain: explainCheck,
		}}
	})
}

// explainCheck is ExplainHTTP but for the refusals Capgo says in its body,
// whatever the status.
func explainCheck(err error) (string, error) {
	switch {
	case errors.Is(err, ErrInvalidAPIKey):
		return checkKeys.Secret, fmt.Errorf("401: bad credentials (api_key): %w", err)
	case errors.Is(err, ErrAdminRoleRequired):
		return checkKeys.Secret, fmt.Errorf("403: %w", err)
	}
	return connectors.ExplainHTTP(err, checkKeys)
}
