package directory

import (
	"context"
	"fmt"

	"github.com/orgbridge/orgbridge/connectors"
)

var _ connectors.Checker = (*Config)(nil)

// checkKeys are the keys a failed check names.
var checkKeys = connectors.HTTPKeys{
	BaseURL: "target.directory.base_url", Secret: "target.directory.client_secret", SecretName: "client_secret",
	NotFound: "organization_id or base_url"}

// Check is validate --connect's test of the target (CheckHTTPTarget): get
// an OAuth token and read the first page of the organization's accounts,
// once. Nothing is written.
func (c *Config) Check(ctx context.Context, env connectors.CheckEnv) []connectors.CheckResult {
	cfg := *c
	return connectors.CheckHTTPTarget(ctx, env, "directory", &cfg.ClientConfig, cfg.Open, checkKeys, func(a *Adapter) []connectors.CheckStep {
		client := a.client
		return []connectors.CheckStep{{
			Check: "get an OAuth token and read one page of organization " + client.orgID + "'s accounts",
			Run: func(ctx context.Context) (string, error) {
				raw, _, err := client.getPage(ctx, client.accountsURL())
				if err != nil {
					return "", err
				}
				p, err := decodeListing(raw)
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("%d account type(s), %d assignment(s) on the page", len(p.AccountTypes), len(p.Assignments)), nil
			},
		}}
	})
}
