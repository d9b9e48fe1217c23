package emulator_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/connectors/pcaid/emulator"
)

func TestTokenEndpoint(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	cc := url.Values{"grant_type": {"client_credentials"}}
	tests := []struct {
		name        string
		id, secret  string
		basic       bool
		form        url.Values
		status      int
		errCode     string
		wwwAuthBase bool
	}{
		{"basic", testClientID, testSecret, true, cc, 200, "", false},
		{"in the body", testClientID, testSecret, false, cc, 200, "", false},
		{"scopes asked", testClientID, testSecret, true, url.Values{"grant_type": {"client_credentials"}, "scope": {"users services"}}, 200, "", false},
		{"wrong secret", testClientID, "nope", true, cc, 401, "invalid_client", true},
		{"wrong secret in the body", testClientID, "nope", false, cc, 401, "invalid_client", false},
		{"unknown client", "someone", testSecret, true, cc, 401, "invalid_client", true},
		{"no grant type", testClientID, testSecret, true, url.Values{}, 400, "invalid_request", false},
		{"password grant", testClientID, testSecret, true, url.Values{"grant_type": {"password"}}, 400, "unsupported_grant_type", false},
		{"unknown scope", testClientID, testSecret, true, url.Values{"grant_type": {"client_credentials"}, "scope": {"users admin"}}, 400, "invalid_scope", false},
		{"two methods", testClientID, testSecret, true, url.Values{"grant_type": {"client_credentials"}, "client_secret": {testSecret}}, 400, "invalid_request", false},
	}
	for _, tt := range tests {
		form := url.Values{}
		for k, v := range tt.form {
			form[k] = v
		}
		r := e.tokenRequest(tt.id, tt.secret, tt.basic, form)
		if r.status != tt.status {
			t.Errorf("%s: %d, want %d: %s", tt.name, r.status, tt.status, r.raw)
			continue
		}
		if r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", tt.name, r.header.Get("Cache-Control"))
		}
		if tt.status != 200 {
			if got := r.str("error"); got != tt.errCode {
				t.Errorf("%s: error %q, want %q", tt.name, got, tt.errCode)
			}
			if got := r.header.Get("WWW-Authenticate") != ""; got != tt.wwwAuthBase {
				t.Errorf("%s: WWW-Authenticate present %v, want %v", tt.name, got, tt.wwwAuthBase)
			}
			if strings.Contains(r.raw, tt.secret) {
				t.Errorf("%s: the answer echoes the secret", tt.name)
			}
			continue
		}
		m := r.json()
		if m["token_type"] != "Bearer" || m["expires_in"] != float64(3600) || m["access_token"] == "" {
			t.Errorf("%s: %s", tt.name, r.raw)
		}
	}
}

// The access token carries the organization and the organization admin
// role (アクセストークンに含まれる組織管理者ロール).
func TestTokenCarriesOrganization(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	parts := strings.Split(e.token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a JWT", e.token)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c emulator.Claims
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	if c.OrganizationID != e.emu.DefaultOrganizationID() || len(c.Roles) != 1 || c.Roles[0] != emulator.RoleOrganizationAdmin || c.Subject != testClientID {
		t.Errorf("claims %+v", c)
	}
	if c.Expires-c.IssuedAt != 3600 {
		t.Errorf("lifetime %d s", c.Expires-c.IssuedAt)
	}
	// A token whose payload was changed is refused.
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), c.OrganizationID, "org_other", 1))) + "." + parts[2]
	if r := e.doAs(forged, "GET", "/users", nil); r.status != 401 {
		t.Errorf("forged token: %d, want 401", r.status)
	}
}

func TestTokenExpiryAndRevocation(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	if r := e.do("GET", "/users", nil); r.status != 200 {
		t.Fatalf("fresh token: %d", r.status)
	}
	e.clock.Advance(59*time.Minute + 59*time.Second)
	if r := e.do("GET", "/users", nil); r.status != 200 {
		t.Errorf("at 59:59: %d, want 200", r.status)
	}
	e.clock.Advance(time.Second)
	r := e.do("GET", "/users", nil)
	if r.status != 401 || r.str("message") != "Unauthorized" || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("at 60:00: %d %s %v, want 401 Unauthorized with WWW-Authenticate", r.status, r.raw, r.header)
	}
	e.token = e.fetchToken(testClientID, testSecret, "")
	e.emu.ExpireTokens()
	if r := e.do("GET", "/users", nil); r.status != 401 {
		t.Errorf("after ExpireTokens: %d, want 401", r.status)
	}
	e.token = e.fetchToken(testClientID, testSecret, "")
	if r := e.do("GET", "/users", nil); r.status != 200 {
		t.Errorf("a new token after ExpireTokens: %d", r.status)
	}
}

func TestAuthorizationHeader(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	for _, tt := range []struct {
		header string
		status int
	}{
		{"Bearer " + e.token, 200},
		{"bearer " + e.token, 200},
		{"Basic " + e.token, 401},
		{e.token, 401},
		{"Bearer ", 401},
		{"Bearer not.a.token", 401},
	} {
		req, _ := http.NewRequest("GET", e.srv.URL+emulator.Prefix+"/users", nil)
		req.Header.Set("Authorization", tt.header)
		if r := e.send(req); r.status != tt.status {
			t.Errorf("Authorization %.20q…: %d, want %d", tt.header, r.status, tt.status)
		}
	}
}

// 管理者権限をもつ組織関連データのみを対象とする: a client sees its own
// organization only.
func TestOrganizationsAreIsolated(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	mine := e.createUser("a@example.com", "A")
	sp := e.createPartition("会計")

	other := e.emu.AddOrganization("別会社")
	e.emu.AddClientTo(other, "other-client", "other-secret")
	tok := e.fetchToken("other-client", "other-secret", "")
	if r := e.doAs(tok, "GET", "/users/"+mine, nil); r.status != 404 {
		t.Errorf("another organization's user: %d, want 404", r.status)
	}
	if r := e.doAs(tok, "POST", "/users/"+mine+"/remove", nil); r.status != 404 {
		t.Errorf("removing another organization's user: %d, want 404", r.status)
	}
	if r := e.doAs(tok, "POST", "/organizations/service_partition/remove", map[string]any{"service_partition_id": sp}); r.status != 404 {
		t.Errorf("removing another organization's partition: %d, want 404", r.status)
	}
	if r := e.doAs(tok, "GET", "/users", nil); len(r.json()["users"].([]any)) != 0 {
		t.Errorf("another organization lists %s", r.raw)
	}
	// The same email is free in another organization.
	if r := e.doAs(tok, "POST", "/users", map[string]any{"email": "a@example.com", "name": "A"}); r.status != 201 {
		t.Errorf("same email in another organization: %d %s", r.status, r.raw)
	}
	if org := e.must(200, "GET", "/organizations", nil); org["organization_id"] != e.emu.DefaultOrganizationID() {
		t.Errorf("GET /organizations: %v", org)
	}
	if org := e.doAs(tok, "GET", "/organizations", nil).json(); org["name"] != "別会社" {
		t.Errorf("GET /organizations of the other: %v", org)
	}
}

func TestLimitedClient(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	e.emu.AddClientTo(e.emu.DefaultOrganizationID(), "reader", "s", emulator.ScopeUsers)
	if r := e.tokenRequest("reader", "s", true, url.Values{"grant_type": {"client_credentials"}, "scope": {"services"}}); r.status != 400 || r.str("error") != "invalid_scope" {
		t.Errorf("a scope the client may not use: %d %s", r.status, r.raw)
	}
	tok := e.fetchToken("reader", "s", "")
	if r := e.doAs(tok, "GET", "/users", nil); r.status != 200 {
		t.Errorf("users with users scope: %d", r.status)
	}
	if r := e.doAs(tok, "GET", "/organizations/service_partition", nil); r.status != 403 || r.str("code") != "FORBIDDEN" {
		t.Errorf("partitions without the scope: %d %s", r.status, r.raw)
	}
}
