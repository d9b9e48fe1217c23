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

// Check is validate --connect's test of the target, as Entra's "Test
// Connection" does it: get an OAuth token, then read one page of one
// user, each once, without the retries of a run, so that an unreachable
// target fails at once and says why (ExplainHTTP). Two requests when all
// is well; nothing is written.
func (c *Config) Check(ctx context.Context, env connectors.CheckEnv) []connectors.CheckResult {
	cfg := *c
	cfg.MaxRetries = connectors.NoRetries()
	t, err := cfg.Open(ctx, env.Env)
	if err != nil {
		return []connectors.CheckResult{{Check: "aircourse settings", Key: "target.aircourse", Err: err}}
	}
	client := t.(*Adapter).client
	s, _ := cfg.check() // Open checked it
	tok := connectors.CheckResult{Check: "get an OAuth token from " + s.tokenURL, Detail: "granted"}
	if bt, ok := client.api.Auth.(httpkit.BearerTokens); ok {
		if _, err := bt.Tokens.Token(ctx); err != nil {
			tok.Key, tok.Err = connectors.ExplainHTTP(err, checkKeys)
			tok.Detail = ""
			return []connectors.CheckResult{tok}
		}
	}
	read := connectors.CheckResult{Check: "read one page of users"}
	var page struct {
		Data []User `json:"data"`
		Meta *Meta  `json:"meta"`
	}
	if err := client.do(ctx, http.MethodGet, "/users", url.Values{"limit": {"1"}, "page": {"1"}}, nil, &page); err != nil {
		read.Key, read.Err = connectors.ExplainHTTP(err, checkKeys)
		return []connectors.CheckResult{tok, read}
	}
	read.Detail = fmt.Sprintf("%d user(s) on the page", len(page.Data))
	if page.Meta != nil && page.Meta.hasTotal {
		read.Detail = fmt.Sprintf("%d user(s) in all", page.Meta.Total)
	}
	return []connectors.CheckResult{tok, read}
}
