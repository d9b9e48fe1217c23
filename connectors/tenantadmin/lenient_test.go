package tenantadmin_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/tenantadmin"
	"github.com/orgbridge/orgbridge/mapping"
)

// otherServer is a server written from the same document by someone else:
// "data" and "next_cursor", camelCase fields, numbers as strings, metadata
// in list items, a has_more flag, 400 for bad input. Its list misses one
// parent (created while it was paged).
func otherServer(t *testing.T, sameCursor bool) *httptest.Server {
	t.Helper()
	pages := map[string]string{
		"": `{"data":[
			{"id":"o1","name":"HQ","displayName":"本社","parentId":null,"member_count":"1","created_at":"1705881600"},
			{"id":"o2","name":"org-0123456789","display_name":"開発部","parent":{"id":"o1"},"member_count":0,
			 "metadata":{"code":"開発","orgbridge_key":"本社/開発部","n":3}}],
			"next_cursor":"p2"}`,
		"p2": `{"data":[{"id":"o4","name":"Ops","display_name":"運用","parent_id":"o3","memberCount":2}],"next_cursor":null}`,
	}
	if sameCursor {
		pages["p2"] = `{"data":[{"id":"o4","name":"Ops","display_name":"運用"}],"next_cursor":"p2"}`
	}
	members := map[string]string{
		"o1": `{"data":[{"userId":"u1","mail":"a@example.com","name":"山田 太郎","role":"admin"}],"has_more":false,"cursor":"more?"}`,
		"o4": `{"items":[{"id":"u1","email":"a@example.com","organization_role":"member"},{"user_id":"u2","name":"佐藤 花子"}],"cursor":""}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			w.WriteHeader(401)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		p := strings.TrimPrefix(r.URL.Path, "/api/admin/organizations")
		switch {
		case r.Method == "GET" && p == "":
			_, _ = io.WriteString(w, pages[r.URL.Query().Get("cursor")])
		case r.Method == "GET" && p == "/o3":
			_, _ = io.WriteString(w, `{"id":"o3","name":"Infra","display_name":"基盤","parent_id":"o1","member_count":0,"metadata":{}}`)
		case r.Method == "GET" && strings.HasSuffix(p, "/members"):
			_, _ = io.WriteString(w, members[strings.TrimSuffix(strings.TrimPrefix(p, "/"), "/members")])
		case r.Method == "POST" && p == "":
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"error":"bad_request","message":"display_name is required"}`)
		case r.Method == "POST" && strings.HasSuffix(p, "/members"):
			w.WriteHeader(200)
			_, _ = io.WriteString(w, `{"user_id":"u1","role":"member"}`) // ignores the role asked
		default:
			w.WriteHeader(404)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestReadsAnotherServersShapes(t *testing.T) {
	a, _ := newAdapter(t, otherServer(t, false).URL+"/api/admin", 0)
	snap, err := a.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := &mapping.Snapshot{
		Orgs: []mapping.Org{
			{Key: "o1", Name: "本社", Code: "HQ"},
			{Key: "o2", Name: "開発部", Code: "開発", ParentKey: "o1"},
			{Key: "o3", Name: "基盤", Code: "Infra", ParentKey: "o1"},
			{Key: "o4", Name: "運用", Code: "Ops", ParentKey: "o3"},
		},
		Users: []mapping.User{
			{Key: "u1", Name: "山田 太郎", Email: "a@example.com", Attributes: map[string]string{"user_id": "u1"}},
			{Key: "u2", Name: "佐藤 花子", Attributes: map[string]string{"user_id": "u2"}},
		},
		Memberships: []mapping.Membership{
			{UserKey: "u1", Kind: mapping.KindOrg, ContainerKey: "o1", Role: mapping.RoleAdmin},
			{UserKey: "u1", Kind: mapping.KindOrg, ContainerKey: "o4", Role: mapping.RoleMember},
			{UserKey: "u2", Kind: mapping.KindOrg, ContainerKey: "o4", Role: mapping.RoleMember},
		},
	}
	if got, exp := describe(snap), describe(want); got != exp {
		t.Errorf("read\n%s\nwant\n%s", got, exp)
	}
}

func describe(s *mapping.Snapshot) string {
	var b strings.Builder
	for _, o := range s.Orgs {
		b.WriteString("org " + o.Key + " " + o.Name + " code=" + o.Code + " parent=" + o.ParentKey + " desc=" + o.Description + "\n")
	}
	for _, u := range s.Users {
		b.WriteString("user " + u.Key + " " + u.Name + " " + u.Email + " user_id=" + u.Attributes["user_id"] + "\n")
	}
	for _, m := range s.Memberships {
		b.WriteString("member " + m.ID() + " " + string(m.Role) + "\n")
	}
	return b.String()
}

func TestAnotherServersErrors(t *testing.T) {
	srv := otherServer(t, false)
	a, _ := newAdapter(t, srv.URL, 0)
	o := mapping.Org{Key: "x", Name: "", Code: "x"}
	_, err := a.Apply(context.Background(), connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindOrg, Key: "x", Org: &o}, idMap{})
	var fe *connectors.FieldError
	if !errors.As(err, &fe) || !strings.Contains(fe.Message, "display_name") || connectors.IsTransient(err) {
		t.Errorf("a 400 for bad input: %v, want a FieldError", err)
	}
	ids := idMap{"org/o": "o1", "user/u": "u1"}
	m := member("u", "o", mapping.RoleAdmin)
	_, err = a.Apply(context.Background(), memberChange(connectors.ActionCreate, m), ids)
	if err == nil || !strings.Contains(err.Error(), `stored role "member"`) {
		t.Errorf("a server that ignores the role: %v", err)
	}

	b, _ := newAdapter(t, otherServer(t, true).URL, 0)
	if _, err := b.Read(context.Background()); err == nil || !strings.Contains(err.Error(), "cursor") {
		t.Errorf("a cursor given twice: %v", err)
	}
	if _, err := tenantadmin.NewClient(tenantadmin.ClientOptions{BaseURL: "ftp://x", Token: "t"}); err == nil {
		t.Error("NewClient took an ftp URL")
	}
}
