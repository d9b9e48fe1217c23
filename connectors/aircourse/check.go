package aircourse

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/httpkit"
)

var _ connectors.Checker = (*Config)(nil)

// checkKeys are the keys a failed check names.
var checkKeys = connectors.HTTPKeys{
	BaseURL:    "target.aircourse.base_url",
	Secret:     "target.aircourse.client_secret",
	SecretName: "client_secret",
	Scope:      "target.aircourse.scopes",
}

// Check is validate --connect's test of the target (CheckHTTPTarget): get
// an OAuth token, then read one page of one user, each once. Two requests
// when all is well; nothing is written.
func (c *Config) Check(ctx context.Context, env connectors.CheckEnv) []connectors.CheckResult {
	cfg := *c
	return connectors.CheckHTTPTarget(ctx, env, "aircourse", &cfg.ClientConfig, cfg.Open, checkKeys, func(a *Adapter) []connectors.CheckStep {
		s, _, _ := cfg.check() // Open checked it
		return []connectors.CheckStep{
			{Check: "get an OAuth token from " + s.tokenURL, Run: func(ctx context.Context) (string, error) {
				if bt, ok := a.client.api.Auth.(httpkit.BearerTokens); ok {
					if _, err := bt.Tokens.Token(ctx); err != nil {
						return "", err
					}
				}
				return "granted", nil
			}},
			{Check: "read one page of users", Run: func(ctx context.Context) (string, error) {
				var page struct {
					Data []User `json:"data"`
					Meta *Meta  `json:"meta"`
				}
				if err := a.client.do(ctx, http.MethodGet, "/users", url.Values{"limit": {"1"}, "page": {"1"}}, nil, &page); err != nil {
					return "", err
				}
				if page.Meta != nil && page.Meta.hasTotal {
					return fmt.Sprintf("%d user(s) in all", page.Meta.Total), nil
				}
				return fmt.Sprintf("%d user(s) on the page", len(page.Data)), nil
			}},
		}
	})
}
