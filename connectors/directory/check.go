package directory

import (
	"context"
	"fmt"

	"github.com/orgbridge/orgbridge/connectors"
)

var _ connectors.Checker = (*Config)(nil)

// Check is validate --connect's test of the target: get an OAuth token and
// read the first page of the organization's accounts, once (no retries: an
// unreachable API fails at once, saying why). Nothing is written.
func (c *Config) Check(ctx context.Context, env connectors.CheckEnv) []connectors.CheckResult {
	cfg := *c
	cfg.MaxRetries = connectors.NoRetries()
	t, err := cfg.Open(ctx, env.Env)
	if err != nil {
		return []connectors.CheckResult{{Check: "directory settings", Key: "target.directory", Err: err}}
	}
	client := t.(*Adapter).client
	r := connectors.CheckResult{Check: "get an OAuth token and read one page of organization " + client.orgID + "'s accounts"}
	raw, _, err := client.getPage(ctx, client.accountsURL())
	if err == nil {
		var p page
		if p, err = decodeListing(raw); err == nil {
			r.Detail = fmt.Sprintf("%d account type(s), %d assignment(s) on the page", len(p.AccountTypes), len(p.Assignments))
			return []connectors.CheckResult{r}
		}
	}
	r.Key, r.Err = connectors.ExplainHTTP(err, connectors.HTTPKeys{
		BaseURL: "target.directory.base_url", Secret: "target.directory.client_secret", SecretName: "client_secret",
		NotFound: "organization_id or base_url"})
	return []connectors.CheckResult{r}
}
