package tenantadmin

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/orgbridge/orgbridge/connectors"
)

var _ connectors.Checker = (*Config)(nil)

// Check is validate --connect's test of the target: one page of one
// organization, with the token, once (no retries: an unreachable API fails
// at once, saying why). Nothing is written.
func (c *Config) Check(ctx context.Context, env connectors.CheckEnv) []connectors.CheckResult {
	cfg := *c
	cfg.MaxRetries = connectors.NoRetries()
	t, err := cfg.Open(ctx, env.Env)
	if err != nil {
		return []connectors.CheckResult{{Check: "tenantadmin settings", Key: "target.tenantadmin", Err: err}}
	}
	r := connectors.CheckResult{Check: "read one page of organizations with the token"}
	var page rawObject
	if err := t.(*Adapter).client.do(ctx, http.MethodGet, OrgsPath, url.Values{"limit": {"1"}}, nil, &page); err != nil {
		r.Key, r.Err = connectors.ExplainHTTP(err, connectors.HTTPKeys{
			BaseURL: "target.tenantadmin.base_url", Secret: "target.tenantadmin.token", SecretName: "token"})
		return []connectors.CheckResult{r}
	}
	r.Detail = fmt.Sprintf("%d organization(s) on the page", len(page.objects("items", "data")))
	return []connectors.CheckResult{r}
}
