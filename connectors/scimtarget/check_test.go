package scimtarget

import (
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/scimtarget/stricttest"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/httpkit"
)

// validate --connect: ServiceProviderConfig and one page of Users, each
// once; a refused token fails at the token's key.
func TestCheck(t *testing.T) {
	srv := stricttest.New(t, stricttest.Options{Token: unitToken, ETags: true})
	srv.SeedUser(t, `{"userName":"someone"}`)
	cfg := Config{OAuthConfig: httpkit.OAuthConfig{BaseURL: srv.URL}, Token: config.Secret{Env: "SCIM_CHECK_TOKEN"}}
	t.Setenv("SCIM_CHECK_TOKEN", unitToken)
	rs := cfg.Check(t.Context(), connectors.CheckEnv{})
	if len(rs) != 2 || connectors.Failed(rs) != nil {
		t.Fatalf("results %+v", rs)
	}
	if !strings.Contains(rs[0].Detail, "etag true") || rs[1].Detail != "1 user(s) in all" {
		t.Errorf("details %q, %q", rs[0].Detail, rs[1].Detail)
	}
	if n := len(srv.Requests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	t.Setenv("SCIM_CHECK_TOKEN", "wrong")
	rs = cfg.Check(t.Context(), connectors.CheckEnv{})
	if len(rs) != 1 || rs[0].Key != "target.scim.token" || !strings.HasPrefix(rs[0].Err.Error(), "401: bad credentials (token)") {
		t.Errorf("with a wrong token: %+v", rs)
	}
}
