package pcaid

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/orgbridge/orgbridge/connectors"
)

var _ connectors.Checker = (*Config)(nil)

// checkKeys are the keys a failed check names.
var checkKeys = connectors.HTTPKeys{
	BaseURL: "target.pcaid.base_url", Secret: "target.pcaid.client_secret", SecretName: "client_secret",
	Scope: "target.pcaid.scopes"}

// Check is validate --connect's test of the target (CheckHTTPTarget): get
// an OAuth token and read one page of one user, once. Nothing is written.
func (c *Config) Check(ctx context.Context, env connectors.CheckEnv) []connectors.CheckResult {
	cfg := *c
	return connectors.CheckHTTPTarget(ctx, env, "pcaid", &cfg.ClientConfig, cfg.Open, checkKeys, func(a *Adapter) []connectors.CheckStep {
		return []connectors.CheckStep{{
			Check: "get an OAuth token and read one page of users",
			Run: func(ctx context.Context) (string, error) {
				var page map[string]json.RawMessage
				if err := a.client.do(ctx, http.MethodGet, "/users", url.Values{"limit": {"1"}}, nil, &page); err != nil {
					return "", err
				}
				var users []json.RawMessage
				_ = json.Unmarshal(page["users"], &users)
				return fmt.Sprintf("%d user(s) on the page", len(users)), nil
			},
		}}
	})
}
