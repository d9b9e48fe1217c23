package tenantadmin

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/orgbridge/orgbridge/connectors"
)

var _ connectors.Checker = (*Config)(nil)

// checkKeys are the keys a failed check names.
var checkKeys = connectors.HTTPKeys{BaseURL: "target.tenantadmin.base_url", Secret: "target.tenantadmin.token", SecretName: "token"}

// Check is validate --connect's test of the target (CheckHTTPTarget): one
// page of one organization, with the token, once. Nothing is written.
func (c *Config) Check(ctx context.Context, env connectors.CheckEnv) []connectors.CheckResult {
	cfg := *c
	return connectors.CheckHTTPTarget(ctx, env, "tenantadmin", &cfg.ClientConfig, cfg.Open, checkKeys, func(a *Adapter) []connectors.CheckStep {
		return []connectors.CheckStep{{
			Check: "read one page of organizations with the token",
			Run: func(ctx context.Context) (string, error) {
				var page rawObject
				if err := a.client.do(ctx, http.MethodGet, OrgsPath, url.Values{"limit": {"1"}}, nil, &page); err != nil {
					return "", err
				}
				return fmt.Sprintf("%d organization(s) on the page", len(page.objects("items", "data"))), nil
			},
		}}
	})
}
