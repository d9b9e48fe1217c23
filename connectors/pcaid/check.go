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

// Check is validate --connect's test of the target: get an OAuth token and
// read one page of one user, once (no retries: an unreachable API fails at
// once, saying why). Nothing is written.
func (c *Config) Check(ctx context.Context, env connectors.CheckEnv) []connectors.CheckResult {
	cfg := *c
	cfg.MaxRetries = connectors.NoRetries()
	t, err := cfg.Open(ctx, env.Env)
	if err != nil {
		return []connectors.CheckResult{{Check: "pcaid settings", Key: "target.pcaid", Err: err}}
	}
	r := connectors.CheckResult{Check: "get an OAuth token and read one page of users"}
	var page map[string]json.RawMessage
	if err := t.(*Adapter).client.do(ctx, http.MethodGet, "/users", url.Values{"limit": {"1"}}, nil, &page); err != nil {
		r.Key, r.Err = connectors.ExplainHTTP(err, connectors.HTTPKeys{
			BaseURL: "target.pcaid.base_url", Secret: "target.pcaid.client_secret", SecretName: "client_secret",
			Scope: "target.pcaid.scopes"})
		return []connectors.CheckResult{r}
	}
	var users []json.RawMessage
	_ = json.Unmarshal(page["users"], &users)
	r.Detail = fmt.Sprintf("%d user(s) on the page", len(users))
	return []connectors.CheckResult{r}
}
