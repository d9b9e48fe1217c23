package scimtarget

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/httpkit"
)

var _ connectors.Checker = (*Config)(nil)

// Check is validate --connect's test of the target (CheckHTTPTarget):
// the OAuth token when there are client credentials, then
// ServiceProviderConfig (what the server does, or that it serves none),
// then one page of one User, each once. Nothing is written.
func (c *Config) Check(ctx context.Context, env connectors.CheckEnv) []connectors.CheckResult {
	cfg := *c
	keys := connectors.HTTPKeys{BaseURL: "target.scim.base_url", Secret: "target.scim.token", SecretName: "token"}
	if cfg.ClientID != "" {
		keys = connectors.HTTPKeys{BaseURL: "target.scim.base_url", Secret: "target.scim.client_secret", SecretName: "client_secret", Scope: "target.scim.scopes"}
	}
	return connectors.CheckHTTPTarget(ctx, env, "scim", &cfg.ClientConfig, cfg.Open, keys, func(a *Adapter) []connectors.CheckStep {
		var steps []connectors.CheckStep
		if bt, ok := a.client.api.Auth.(httpkit.BearerTokens); ok {
			steps = append(steps, connectors.CheckStep{Check: "get an OAuth token from " + cfg.TokenURL, Run: func(ctx context.Context) (string, error) {
				if _, err := bt.Tokens.Token(ctx); err != nil {
					return "", err
				}
				return "granted", nil
			}})
		}
		return append(steps,
			connectors.CheckStep{Check: "read ServiceProviderConfig", Run: func(ctx context.Context) (string, error) {
				f, err := a.client.discover(ctx)
				if err != nil {
					return "", err
				}
				if !f.discovered {
					return "none served (404): PATCH and filters assumed", nil
				}
				return fmt.Sprintf("patch %v, filter %v, etag %v, bulk max operations %d", f.patch, f.filter, f.etag, f.bulkMax), nil
			}},
			connectors.CheckStep{Check: "read one page of Users", Run: func(ctx context.Context) (string, error) {
				var page listPage
				q := url.Values{"startIndex": {"1"}, "count": {"1"}}
				if _, err := a.client.call(ctx, http.MethodGet, usersPath, q, "", nil, &page); err != nil {
					return "", err
				}
				return fmt.Sprintf("%d user(s) in all", number(page.TotalResults)), nil
			}},
		)
	})
}
