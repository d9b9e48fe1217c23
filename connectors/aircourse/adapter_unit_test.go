package aircourse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/httpkit"
	"github.com/orgbridge/orgbridge/mapping"
)

var userFixture = mapping.User{
	Key: "emp-1", LoginID: "yamada", Email: "yamada@example.com", Name: "山田太郎",
	Attributes: map[string]string{"userNumber": "000123", "department": "営業部", "gender": "0", "license": "basic"},
}

// idMap is a connectors.IDs over a map keyed by "kind/key".
type idMap map[string]string

func (m idMap) TargetID(kind mapping.Kind, key string) (string, bool) {
	id, ok := m[string(kind)+"/"+key]
	return id, ok
}

func TestNewValidates(t *testing.T) {
	t.Setenv("AIRCOURSE_TEST_SECRET", testSecret)
	neg := -1
	good := Config{
		OAuthConfig: httpkit.OAuthConfig{BaseURL: "https://api.aircourse.example/v1/", ClientID: testClientID, ClientSecret: config.Secret{Env: "AIRCOURSE_TEST_SECRET"}},
	}
	a, err := New(context.Background(), good, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.pageSize != 1000 || a.license != "free" || a.role != "user" || !a.public {
		t.Errorf("defaults: %+v", a)
	}
	if got := a.client.base.String(); got != "https://api.aircourse.example/v1" {
		t.Errorf("base = %s", got)
	}

	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no base url", func(c *Config) { c.BaseURL = "" }, "base_url: required"},
		{"relative base url", func(c *Config) { c.BaseURL = "api.example" }, `base_url: "api.example" is not an absolute http(s) URL`},
		{"bad token url", func(c *Config) { c.TokenURL = "/oauth/token" }, `token_url: "/oauth/token" is not an absolute http(s) URL`},
		{"no client id", func(c *Config) { c.ClientID = "" }, "client_id: required"},
		{"bad scope", func(c *Config) { c.Scopes = []string{"read", "admin"} }, `scopes[1]: "admin" is not read or write`},
		{"bad license", func(c *Config) { c.DefaultLicense = "gold" }, `default_license: "gold" is not one of free, basic, contents`},
		{"bad role", func(c *Config) { c.DefaultRole = "boss" }, `default_role: "boss" is not one of read, user, manager, admin`},
		{"page size", func(c *Config) { c.PageSize = 1001 }, "page_size: 1001 is not within 1..1000"},
		{"timeout", func(c *Config) { c.Timeout = -time.Second }, "timeout: -1s is negative"},
		{"retries", func(c *Config) { c.MaxRetries = &neg }, "max_retries: -1 is negative"},
		{"secret", func(c *Config) { c.ClientSecret = config.Secret{Env: "AIRCOURSE_TEST_UNSET"} },
			"client_secret: environment variable AIRCOURSE_TEST_UNSET is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.edit(&cfg)
			_, err := New(context.Background(), cfg, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestCapabilities(t *testing.T) {
	a := newTestAdapter(t, testConfig(t, "http://127.0.0.1:1"), nil)
	c := a.Capabilities()
	want := connectors.Capabilities{
		Orgs: true, Users: true, Groups: true, NestedOrgs: true, CreatesUsers: true, SuspendsUsers: true,
		Roles:                []mapping.Role{"member", "admin"},
		OrgMembershipsInUser: true, GroupMemberships: true,
		UserAttributes: []string{"userNumber", "department", "position", "license", "role",
			"slackMemberId", "profile", "birthday", "gender", "hasAiKnowledgeLicense", "isEnabledPasswordLogin"},
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

const rootID = "org_RRRRRRRRRRRRRRRR"

// bodyAPI answers every write with an object of a fixed id and records
// the bodies.
func bodyAPI(t *testing.T) *miniAPI {
	api := newMiniAPI(t)
	api.mux.HandleFunc("GET /organizations", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"data":[{"id":%q,"name":"ルート組織","parentId":null}],"meta":{"currentPage":1,"lastPage":1}}`, rootID)
	})
	for _, p := range []string{"users", "organizations", "groups"} {
		id := map[string]string{"users": "usr_NEWNEWNEWNEWNEW0", "organizations": "org_NEWNEWNEWNEWNEW0", "groups": "grp_NEWNEWNEWNEWNEW0"}[p]
		write := func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, `{"data":{"id":%q}}`, id) }
		api.mux.HandleFunc("POST /"+p, write)
		api.mux.HandleFunc("PUT /"+p+"/{id}", write)
		api.mux.HandleFunc("DELETE /"+p+"/{id}", func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "GONEGONEGONEGONE") {
				w.WriteHeader(404)
				_, _ = io.WriteString(w, `{"message":"指定したリソースが見つかりません。"}`)
				return
			}
			w.WriteHeader(204)
		})
	}
	for _, p := range []string{"organizations", "groups"} {
		api.mux.HandleFunc("/"+p+"/{id}/users", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	}
	return api
}

func TestApplyRequests(t *testing.T) {
	ids := idMap{
		"org/sales": "org_SALESSALESSALES", "org/hq": "org_HQHQHQHQHQHQHQHQ",
		"user/emp-1": "usr_EMP1EMP1EMP1EMP1", "group/g1": "grp_G1G1G1G1G1G1G1G1",
	}
	tests := []struct {
		name   string
		change connectors.Change
		want   []string // "METHOD path body"
		result string
	}{
		{"org create top level", connectors.Change{Action: "create", Kind: "org", Key: "hq",
			Org: &mapping.Org{Key: "hq", Name: "本社", Code: "hq"}},
			[]string{`GET /organizations?limit=1000&page=1 `,
				`POST /organizations {"adminUserIds":[],"code":"hq","isEnableDiscussion":false,"isPublic":true,"name":"本社","parentId":"org_RRRRRRRRRRRRRRRR"}`},
			"org_NEWNEWNEWNEWNEW0"},
		{"org create nested", connectors.Change{Action: "create", Kind: "org", Key: "hq/eigyo",
			Org: &mapping.Org{Key: "hq/eigyo", Name: "営業部", ParentKey: "sales", Description: "d"}},
			[]string{`POST /organizations {"adminUserIds":[],"description":"d","isEnableDiscussion":false,"isPublic":true,"name":"営業部","parentId":"org_SALESSALESSALES"}`},
			"org_NEWNEWNEWNEWNEW0"},
		{"org update by diff", connectors.Change{Action: "update", Kind: "org", Key: "x", TargetID: "org_XXXXXXXXXXXXXXXX",
			Org:  &mapping.Org{Key: "x", Name: "新", Code: "c", ParentKey: "hq"},
			Diff: []connectors.FieldChange{{Field: change.FieldName}, {Field: change.FieldParent}}},
			[]string{`PUT /organizations/org_XXXXXXXXXXXXXXXX {"name":"新","parentId":"org_HQHQHQHQHQHQHQHQ"}`},
			"org_XXXXXXXXXXXXXXXX"},
		{"org delete already gone", connectors.Change{Action: "delete", Kind: "org", Key: "x", TargetID: "org_GONEGONEGONEGONE"},
			[]string{`DELETE /organizations/org_GONEGONEGONEGONE `}, "org_GONEGONEGONEGONE"},
		{"group create", connectors.Change{Action: "create", Kind: "group", Key: "g2",
			Group: &mapping.Group{Key: "g2", Name: "推進", Code: "sec", OrgKey: "hq"}},
			[]string{`POST /groups {"code":"sec","isEnableDiscussion":false,"isViewableMember":true,"name":"推進","organizationId":"org_HQHQHQHQHQHQHQHQ"}`},
			"grp_NEWNEWNEWNEWNEW0"},
		{"group update all", connectors.Change{Action: "update", Kind: "group", Key: "g1", TargetID: "grp_G1G1G1G1G1G1G1G1",
			Group: &mapping.Group{Key: "g1", Name: "n"}},
			[]string{`PUT /groups/grp_G1G1G1G1G1G1G1G1 {"code":"","description":"","name":"n","organizationId":"org_RRRRRRRRRRRRRRRR"}`},
			"grp_G1G1G1G1G1G1G1G1"},
		{"user create with orgs", connectors.Change{Action: "create", Kind: "user", Key: "emp-1", User: &userFixture,
			OrgMemberships: []mapping.Membership{
				{UserKey: "emp-1", Kind: "org", ContainerKey: "sales", Role: "member"},
				{UserKey: "emp-1", Kind: "org", ContainerKey: "hq", Role: "admin"},
				{UserKey: "emp-1", Kind: "org", ContainerKey: "sales", Role: "admin"},
			}},
			[]string{`POST /users {"adminOrganizationIds":["org_SALESSALESSALES","org_HQHQHQHQHQHQHQHQ"],"department":"営業部","gender":0,"license":"basic","loginId":"yamada","mail":"yamada@example.com","memberOrganizationIds":[],"name":"山田太郎","role":"user","userNumber":"000123"}`},
			"usr_NEWNEWNEWNEWNEW0"},
		{"user create suspended", connectors.Change{Action: "create", Kind: "user", Key: "emp-2",
			User: &mapping.User{Key: "emp-2", Name: "休職者", Email: "k@example.com", Suspended: true}},
			[]string{`POST /users {"license":"free","mail":"k@example.com","name":"休職者","role":"user"}`,
				`PUT /users/usr_NEWNEWNEWNEWNEW0 {"isSuspended":true}`},
			"usr_NEWNEWNEWNEWNEW0"},
		{"user update diff and orgs", connectors.Change{Action: "update", Kind: "user", Key: "emp-1", TargetID: "usr_EMP1EMP1EMP1EMP1",
			User:           &mapping.User{Key: "emp-1", Name: "n", Email: "new@example.com", Attributes: map[string]string{"gender": "", "position": "部長"}},
			Diff:           []connectors.FieldChange{{Field: change.FieldEmail}, {Field: change.Attr("gender")}, {Field: change.Attr("position")}, {Field: change.Attr("hasAiKnowledgeLicense")}},
			OrgMemberships: []mapping.Membership{{UserKey: "emp-1", Kind: "org", ContainerKey: "hq", Role: "member"}}},
			[]string{`PUT /users/usr_EMP1EMP1EMP1EMP1 {"adminOrganizationIds":[],"gender":"","hasAiKnowledgeLicense":0,"mail":"new@example.com","memberOrganizationIds":["org_HQHQHQHQHQHQHQHQ"],"position":"部長"}`},
			"usr_EMP1EMP1EMP1EMP1"},
		{"user update orgs only, to the root", connectors.Change{Action: "update", Kind: "user", Key: "emp-1", TargetID: "usr_EMP1EMP1EMP1EMP1",
			User: &userFixture, OrgMemberships: []mapping.Membership{}},
			// The root by its id: two empty lists may leave a user in no
			// organization (the emulator's empty-lists-no-org).
			[]string{`PUT /users/usr_EMP1EMP1EMP1EMP1 {"adminOrganizationIds":[],"memberOrganizationIds":["org_RRRRRRRRRRRRRRRR"]}`},
			"usr_EMP1EMP1EMP1EMP1"},
		{"user suspend", connectors.Change{Action: "suspend", Kind: "user", Key: "emp-1", TargetID: "usr_EMP1EMP1EMP1EMP1"},
			[]string{`PUT /users/usr_EMP1EMP1EMP1EMP1 {"isSuspended":true}`}, "usr_EMP1EMP1EMP1EMP1"},
		{"user delete", connectors.Change{Action: "delete", Kind: "user", Key: "emp-1", TargetID: "usr_EMP1EMP1EMP1EMP1"},
			[]string{`DELETE /users/usr_EMP1EMP1EMP1EMP1 `}, "usr_EMP1EMP1EMP1EMP1"},
		{"group membership create", connectors.Change{Action: "create", Kind: "membership", Key: "group:g1/emp-1",
			Membership: &mapping.Membership{UserKey: "emp-1", Kind: "group", ContainerKey: "g1", Role: "admin"}},
			[]string{`POST /groups/grp_G1G1G1G1G1G1G1G1/users {"userId":"usr_EMP1EMP1EMP1EMP1","role":"admin"}`},
			"group:grp_G1G1G1G1G1G1G1G1/usr_EMP1EMP1EMP1EMP1"},
		{"group membership delete", change.DeleteMembership(mapping.Membership{UserKey: "emp-1", Kind: "group", ContainerKey: "g1"}),
			[]string{`DELETE /groups/grp_G1G1G1G1G1G1G1G1/users {"userId":"usr_EMP1EMP1EMP1EMP1"}`},
			"group:grp_G1G1G1G1G1G1G1G1/usr_EMP1EMP1EMP1EMP1"},
		{"org membership update", connectors.Change{Action: "update", Kind: "membership", Key: "org:hq/emp-1",
			Membership: &mapping.Membership{UserKey: "emp-1", Kind: "org", ContainerKey: "hq", Role: "member"}},
			[]string{`PUT /organizations/org_HQHQHQHQHQHQHQHQ/users {"userId":"usr_EMP1EMP1EMP1EMP1","role":"member"}`},
			"org:org_HQHQHQHQHQHQHQHQ/usr_EMP1EMP1EMP1EMP1"},
	}
	api := bodyAPI(t)
	a := newTestAdapter(t, testConfig(t, api.URL), nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(api.log())
			res, err := a.Apply(context.Background(), tt.change, ids)
			if err = connectors.GoneIsDone(tt.change, err); err != nil { // a delete of what is gone is done for the executor
				t.Fatal(err)
			}
			if res.TargetID != tt.result {
				t.Errorf("TargetID = %q, want %q", res.TargetID, tt.result)
			}
			api.mu.Lock()
			var got []string
			for i := before; i < len(api.requests); i++ {
				got = append(got, api.requests[i]+" "+canonicalJSON(api.bodies[i]))
			}
			api.mu.Unlock()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

// canonicalJSON re-encodes an object with sorted keys; "" stays "".
func canonicalJSON(s string) string {
	if s == "" {
		return ""
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return s
	}
	if _, ok := v["userId"]; ok && len(v) <= 2 {
		return s // member bodies keep their field order
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestApplyRefusals(t *testing.T) {
	api := bodyAPI(t)
	a := newTestAdapter(t, testConfig(t, api.URL), nil)
	ctx := context.Background()
	tests := []struct {
		name   string
		change connectors.Change
		want   string
		is     error
	}{
		{"unresolved parent", connectors.Change{Action: "create", Kind: "org", Key: "a/b", Org: &mapping.Org{Key: "a/b", Name: "b", ParentKey: "a"}},
			`aircourse: create org a/b: parent: org "a": reference has no target id`, connectors.ErrUnresolved},
		{"unresolved org membership", connectors.Change{Action: "create", Kind: "user", Key: "u", User: &mapping.User{Key: "u", Name: "u", LoginID: "u"},
			OrgMemberships: []mapping.Membership{{UserKey: "u", Kind: "org", ContainerKey: "nowhere"}}},
			`aircourse: create user u: org membership: org "nowhere": reference has no target id`, connectors.ErrUnresolved},
		{"update without target id", connectors.Change{Action: "update", Kind: "user", Key: "u", User: &mapping.User{Key: "u"}},
			"aircourse: update user u: update needs the target id: reference has no target id", connectors.ErrUnresolved},
		{"unknown diff field", connectors.Change{Action: "update", Kind: "user", Key: "u", TargetID: "usr_UUUUUUUUUUUUUUUU", User: &mapping.User{Key: "u"},
			Diff: []connectors.FieldChange{{Field: change.Attr("shoeSize")}}},
			`aircourse: update user u: field "shoeSize" is not an AirCourse field`, nil},
		{"bad gender", connectors.Change{Action: "create", Kind: "user", Key: "u", User: &mapping.User{Key: "u", Name: "u", LoginID: "u", Attributes: map[string]string{"gender": "男性"}}},
			`aircourse: create user u: attribute gender: "男性" is not 0, 1 or empty`, nil},
		{"suspend org", connectors.Change{Action: "suspend", Kind: "org", Key: "o", TargetID: "org_OOOOOOOOOOOOOOOO"},
			`aircourse: suspend org o: action "suspend" is not supported for an org`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(api.log())
			_, err := a.Apply(ctx, tt.change, idMap{})
			if err == nil || err.Error() != tt.want {
				t.Fatalf("err = %v\nwant %s", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(err, %v) = false", tt.is)
			}
			for _, r := range api.log()[before:] {
				if !strings.HasPrefix(r, "GET ") {
					t.Errorf("a refused change wrote: %s", r)
				}
			}
		})
	}
}
