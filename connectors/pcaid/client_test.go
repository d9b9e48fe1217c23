package pcaid_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orgbridge/orgbridge/connectors/pcaid"
	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/httpkit"
)

func TestDecodeUserLeniently(t *testing.T) {
	tests := []struct {
		name, in string
		want     pcaid.User
	}{
		{"the contract", `{"account_id":"acc_1","email":"a@example.com","name":"A","employee_number":"1","department":null,
			"status":"invited","suspended":false,"admin_roles":["organization_admin"],"service_partition_ids":["sp_1"]}`,
			pcaid.User{AccountID: "acc_1", Email: "a@example.com", Name: "A", EmployeeNumber: "1", Status: "invited", Admin: true, ServicePartitionIDs: []string{"sp_1"}}},
		{"camelCase, a number, 1 for true", `{"accountId":"acc_2","email":"b@example.com","displayName":"B","employeeNumber":1002,"isSuspended":1,"isAdmin":"true"}`,
			pcaid.User{AccountID: "acc_2", Email: "b@example.com", Name: "B", EmployeeNumber: "1002", Suspended: true, Admin: true}},
		{"status suspended, roles", `{"id":"acc_3","status":"suspended","roles":["admin"]}`,
			pcaid.User{AccountID: "acc_3", Status: "suspended", Suspended: true, Admin: true}},
		{"no admin", `{"account_id":"acc_4","admin_roles":[],"admin":false}`, pcaid.User{AccountID: "acc_4"}},
	}
	for _, tt := range tests {
		var got pcaid.User
		if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	var m pcaid.PartitionUser
	for in, want := range map[string]bool{`{"role":"manager"}`: true, `{"role":"admin"}`: true, `{"sp_manager":true}`: true, `{"role":"member"}`: false} {
		if err := json.Unmarshal([]byte(in), &m); err != nil || m.Manager != want {
			t.Errorf("%s: manager %v, %v", in, m.Manager, err)
		}
	}
}

// pagingServer serves a token and GET /v1/users from pages, keyed by the
// cursor ("" for the first).
func pagingServer(t *testing.T, pages map[string]string) *pcaid.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/oauth2/token" {
			io.WriteString(w, `{"access_token":"t","token_type":"Bearer","expires_in":3600}`)
			return
		}
		if r.URL.Query().Get("limit") != "2" {
			t.Errorf("limit %q", r.URL.Query().Get("limit"))
		}
		body, ok := pages[r.URL.Query().Get("cursor")]
		if !ok {
			w.WriteHeader(404)
			return
		}
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	t.Setenv(testSecretEnv, testSecret)
	a, err := pcaid.New(context.Background(), pcaid.Config{
		OAuthConfig: httpkit.OAuthConfig{BaseURL: srv.URL + "/v1", ClientID: "c", ClientSecret: config.Secret{Env: testSecretEnv}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a.Client()
}

func TestListPagesLeniently(t *testing.T) {
	c := pagingServer(t, map[string]string{
		"":   `{"users":[{"account_id":"acc_1"},{"account_id":"acc_2"}],"next_cursor":"c1"}`,
		"c1": `{"items":[{"accountId":"acc_3"},{"id":"acc_4"}],"nextCursor":"c2"}`,
		"c2": `{"data":[{"account_id":"acc_5"}],"next":null}`,
	})
	users, err := c.ListUsers(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, u := range users {
		ids = append(ids, u.AccountID)
	}
	if got := strings.Join(ids, ","); got != "acc_1,acc_2,acc_3,acc_4,acc_5" {
		t.Errorf("ids %s", got)
	}

	c = pagingServer(t, map[string]string{"": `[{"account_id":"acc_1"}]`})
	if users, err := c.ListUsers(context.Background(), 2); err != nil || len(users) != 1 {
		t.Errorf("a bare array: %v, %v", users, err)
	}

	c = pagingServer(t, map[string]string{
		"":  `{"users":[{"account_id":"acc_1"}],"next_cursor":"a"}`,
		"a": `{"users":[{"account_id":"acc_2"}],"next_cursor":"a"}`,
	})
	if _, err := c.ListUsers(context.Background(), 2); err == nil || !strings.Contains(err.Error(), `cursor "a" twice`) {
		t.Errorf("a repeating cursor: %v", err)
	}

	c = pagingServer(t, map[string]string{"": `{"users":[{"account_id":"acc_1"}],"next_cursor":"more"}`, "more": `{"users":[]}`})
	if users, err := c.ListUsers(context.Background(), 2); err != nil || len(users) != 1 {
		t.Errorf("an empty page ends the list: %v, %v", users, err)
	}

}

// scriptedList serves a token and GET /v1/users by answer(query), counting
// the list calls.
func scriptedList(t *testing.T, answer func(q url.Values) string) (*pcaid.Client, *int) {
	t.Helper()
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/oauth2/token" {
			io.WriteString(w, `{"access_token":"t","token_type":"Bearer","expires_in":3600}`)
			return
		}
		calls++
		io.WriteString(w, answer(r.URL.Query()))
	}))
	t.Cleanup(srv.Close)
	t.Setenv(testSecretEnv, testSecret)
	a, err := pcaid.New(context.Background(), pcaid.Config{
		OAuthConfig: httpkit.OAuthConfig{BaseURL: srv.URL + "/v1", ClientID: "c", ClientSecret: config.Secret{Env: testSecretEnv}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a.Client(), &calls
}

// users renders the users numbered from..to-1 of a list of n.
func usersJSON(from, to, n int) string {
	var parts []string
	for i := from; i < min(to, n); i++ {
		parts = append(parts, fmt.Sprintf(`{"account_id":"acc_%d"}`, i))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// Every way a server may page a list is read to its end, and a way
// orgbridge cannot follow fails loudly rather than read the list short.
func TestListPagesUnderOtherPagings(t *testing.T) {
	const n = 5
	num := func(q url.Values, k string) int { v, _ := strconv.Atoi(q.Get(k)); return v }
	tests := []struct {
		name    string
		answer  func(q url.Values) string
		calls   int
		wantErr string
		users   int // read, when no error
	}{
		{"offset and total", func(q url.Values) string {
			o := num(q, "offset")
			return fmt.Sprintf(`{"users":%s,"offset":%d,"limit":2,"total":%d}`, usersJSON(o, o+2, n), o, n)
		}, 3, "", n},
		{"next_token, absent on the last page", func(q url.Values) string {
			from := num(q, "next_token")
			if from >= 4 {
				return fmt.Sprintf(`{"users":%s}`, usersJSON(from, from+2, n))
			}
			return fmt.Sprintf(`{"users":%s,"next_token":"%d"}`, usersJSON(from, from+2, n), from+2)
		}, 3, "", n},
		{"nextToken", func(q url.Values) string {
			from := num(q, "nextToken")
			next := "null"
			if from+2 < n {
				next = fmt.Sprintf(`"%d"`, from+2)
			}
			return fmt.Sprintf(`{"items":%s,"nextToken":%s}`, usersJSON(from, from+2, n), next)
		}, 3, "", n},
		{"page with has_more, no total", func(q url.Values) string {
			p := num(q, "page")
			return fmt.Sprintf(`{"users":%s,"has_more":%v}`, usersJSON((p-1)*2, p*2, n), p*2 < n)
		}, 3, "", n},
		{"page and nothing else", func(q url.Values) string {
			p := num(q, "page")
			return fmt.Sprintf(`{"users":%s}`, usersJSON((p-1)*2, p*2, n))
		}, 4, "", n}, // the last page short, then an empty one
		{"page at a size of its own, limit ignored", func(q url.Values) string {
			p := num(q, "page")
			return fmt.Sprintf(`{"users":%s}`, usersJSON((p-1)*1, p*1, n))
		}, 6, "", n},
		{"whole, in one answer", func(url.Values) string { return fmt.Sprintf(`{"users":%s}`, usersJSON(0, n, n)) }, 2, "", n},
		{"whole, with a key of its own", func(url.Values) string {
			return fmt.Sprintf(`{"users":%s,"organization_id":"org_1"}`, usersJSON(0, n, n))
		}, 2, "", n}, // longer than limit: not paged by it
		{"whole, a page's worth exactly, with a key of its own", func(url.Values) string {
			return fmt.Sprintf(`{"users":%s,"organization_id":"org_1"}`, usersJSON(0, 2, 2))
		}, 3, "", 2}, // asked for 1, it answers 2: not paged
		{"a total, but page and offset ignored", func(url.Values) string {
			return fmt.Sprintf(`{"users":%s,"total":%d}`, usersJSON(0, 2, n), n)
		}, 2, "repeats the items before it", 0},
		{"a cursor orgbridge does not know", func(q url.Values) string {
			return fmt.Sprintf(`{"users":%s,"LastEvaluatedKey":{"id":"acc_1"}}`, usersJSON(0, num(q, "limit"), n))
		}, 3, "LastEvaluatedKey", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, calls := scriptedList(t, tt.answer)
			users, err := c.ListUsers(context.Background(), 2)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v; want %q", err, tt.wantErr)
				}
			} else if err != nil || len(users) != tt.users {
				t.Errorf("%d users, %v; want %d", len(users), err, tt.users)
			}
			if *calls != tt.calls {
				t.Errorf("%d calls, want %d", *calls, tt.calls)
			}
		})
	}
}
