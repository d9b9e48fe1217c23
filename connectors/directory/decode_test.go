package directory

import (
	"context"
	"fmt"
	"github.com/orgbridge/orgbridge/internal/httpkit"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/orgbridge/orgbridge/internal/config"
)

// TestDecodeListing reads the emulator's shapes and the variants a server
// built from the same document may answer.
func TestDecodeListing(t *testing.T) {
	a := func(subject, code, status string) Assignment {
		return Assignment{SubjectID: subject, Code: code, Status: status}
	}
	tests := []struct {
		name  string
		body  string
		want  page
		isErr string
	}{
		{
			name: "the emulator's",
			body: `{"organizationId":"o","accountTypes":[{"code":"standard","name":"一般"},{"code":"admin","name":"管理者"}],
				"items":[{"organizationId":"o","subjectId":"a","code":"admin","status":"active","createdAt":"c","updatedAt":"u"}]}`,
			want: page{Total: -1, Listing: Listing{
				AccountTypes: []AccountType{{"standard", "一般"}, {"admin", "管理者"}},
				Assignments:  []Assignment{{SubjectID: "a", Code: "admin", Status: "active", CreatedAt: "c", UpdatedAt: "u"}},
				Entries:      1,
			}},
		},
		{name: "a bare array", body: `[{"subjectId":"a","code":"x"},{"subject_id":"b","account_type":"y","state":"DISABLED"}]`,
			want: page{Total: -1, Listing: Listing{Assignments: []Assignment{a("a", "x", ""), a("b", "y", "DISABLED")}, Entries: 2}}},
		{name: "data, accountType object, suspended boolean",
			body: `{"data":[{"userId":"a","accountType":{"code":"x","name":"X"},"suspended":true},{"sub":"b","accountTypeCode":"y","isSuspended":false}]}`,
			want: page{Total: -1, Listing: Listing{Assignments: []Assignment{a("a", "x", "suspended"), a("b", "y", "active")}, Entries: 2}}},
		{name: "account types listing their subjects",
			body: `{"items":[{"code":"admin","name":"管理者","users":["a",{"subjectId":"b","status":"suspended"}]},{"code":"standard","subjects":[]}]}`,
			want: page{Total: -1, Listing: Listing{
				AccountTypes: []AccountType{{"admin", "管理者"}, {"standard", ""}},
				Assignments:  []Assignment{a("a", "admin", ""), a("b", "admin", "suspended")},
				Entries:      2, WithHolders: 2,
			}}},
		{name: "account types only, as the list (list-account-types)",
			body: `{"organizationId":"o","items":[{"code":"standard","name":"一般"},{"code":"admin","name":"管理者"}]}`,
			want: page{Total: -1, Listing: Listing{AccountTypes: []AccountType{{"standard", "一般"}, {"admin", "管理者"}}, Entries: 2, TypesOnly: 2}}},
		{name: "account types only, beside no list",
			body: `{"organizationId":"o","accountTypes":[{"code":"standard"}]}`,
			want: page{Total: -1, Listing: Listing{AccountTypes: []AccountType{{Code: "standard"}}, Entries: 1, TypesOnly: 1}}},
		{name: "types as strings, a next link", body: `{"types":["x","y"],"results":[],"next":"/page/2"}`,
			want: page{Total: -1, Next: "/page/2", Listing: Listing{AccountTypes: []AccountType{{Code: "x"}, {Code: "y"}}}}},
		{name: "links.next.href and a total", body: `{"items":[],"total":7,"_links":{"next":{"href":"https://h/p2"}}}`,
			want: page{Total: 7, Next: "https://h/p2"}},
		{name: "numbers as ids", body: `{"items":[{"subjectId":42,"code":7}]}`,
			want: page{Total: -1, Listing: Listing{Assignments: []Assignment{a("42", "7", "")}, Entries: 1}}},
		{name: "unreadable entries are counted", body: `{"items":[1,{"subjectId":"a"},{"code":"x","users":[{"id":1}]},{"subjectId":"b","code":"y"}]}`,
			want: page{Total: -1, Listing: Listing{
				AccountTypes: []AccountType{{Code: "x"}}, Assignments: []Assignment{a("b", "y", "")},
				Entries: 4, WithHolders: 1, Unreadable: 3, UnreadableExample: "1",
			}}},
		{name: "a null list is empty", body: `{"items":null}`, want: page{Total: -1}},
		{name: "empty", body: ``, want: page{Total: -1}},
		{name: "an object without a list", body: `{"organizationId":"o"}`, isErr: "no list of assignments in the answer (it holds organizationId)"},
		{name: "a string", body: `"nope"`, isErr: "neither a list nor an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeListing([]byte(tt.body))
			if (err != nil) != (tt.isErr != "") || (err != nil && !strings.Contains(err.Error(), tt.isErr)) {
				t.Fatalf("err %v, want %q", err, tt.isErr)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("page (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNextLink(t *testing.T) {
	tests := []struct {
		values []string
		want   string
	}{
		{nil, ""},
		{[]string{`<https://h/a?page=2>; rel="next"`}, "https://h/a?page=2"},
		{[]string{`<https://h/a?page=1>; rel="prev", <https://h/a?page=3>; rel="next"`}, "https://h/a?page=3"},
		{[]string{`<https://h/first>; rel=first`, `</a?page=2>; rel="next last"`}, "/a?page=2"},
		{[]string{`<https://h/a?page=2>; rel="nextish"`}, ""},
		{[]string{`https://h/a?page=2; rel="next"`}, ""},
	}
	for _, tt := range tests {
		if got := nextLink(tt.values); got != tt.want {
			t.Errorf("nextLink(%q) = %q, want %q", tt.values, got, tt.want)
		}
	}
}

func TestAssignmentSuspended(t *testing.T) {
	for status, want := range map[string]bool{
		"suspended": true, "Suspended": true, " INACTIVE ": true, "disabled": true, "locked": true,
		"active": false, "": false, "pending": false,
	} {
		if got := (Assignment{Status: status}).Suspended(); got != want {
			t.Errorf("Suspended(%q) = %v, want %v", status, got, want)
		}
	}
}

func TestDecodeAssignment(t *testing.T) {
	for body, want := range map[string]Assignment{
		`{"subjectId":"s","code":"c","status":"suspended","createdAt":"t"}`: {SubjectID: "s", Code: "c", Status: "suspended", CreatedAt: "t"},
		`{"data":{"status":"active"}}`:                                      {SubjectID: "s", Code: "c", Status: "active"},
		``:                                                                  {SubjectID: "s", Code: "c"},
	} {
		if got := decodeAssignment([]byte(body), "s", "c"); got != want {
			t.Errorf("decodeAssignment(%s) = %+v, want %+v", body, got, want)
		}
	}
}

// pagedServer answers a token, then the listing in pages linked by next;
// last names the link of the last page.
func pagedServer(t *testing.T, last string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var gets atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == DefaultTokenPath {
			fmt.Fprint(w, `{"access_token":"tok","token_type":"bearer","expires_in":3600}`)
			return
		}
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(401)
			return
		}
		n := gets.Add(1)
		switch r.URL.Query().Get("page") {
		case "":
			fmt.Fprint(w, `{"items":[{"subjectId":"a","code":"x"}],"next":"?page=2"}`)
		case "2":
			fmt.Fprintf(w, `{"items":[{"subjectId":"b","code":"x"}],"next":%q}`, last)
		default:
			t.Errorf("request %d: page %q", n, r.URL.Query().Get("page"))
			w.WriteHeader(404)
		}
	}))
	t.Cleanup(ts.Close)
	return ts, &gets
}

func testAdapter(t *testing.T, base string) *Adapter {
	t.Helper()
	t.Setenv("DIRECTORY_DECODE_SECRET", "s")
	retries := 0
	a, err := New(context.Background(), Config{
		OAuthConfig:    httpkit.OAuthConfig{BaseURL: base, ClientID: "c", ClientSecret: config.Secret{Env: "DIRECTORY_DECODE_SECRET"}},
		OrganizationID: "o", ClientConfig: httpkit.ClientConfig{MaxRetries: &retries, Timeout: 5 * time.Second},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestListFollowsNext(t *testing.T) {
	ts, gets := pagedServer(t, "")
	snap, err := testAdapter(t, ts.URL).Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Users) != 2 || gets.Load() != 2 {
		t.Errorf("%d users in %d requests, want 2 in 2", len(snap.Users), gets.Load())
	}
}

func TestListRefusesNextOnAnotherHost(t *testing.T) {
	ts, _ := pagedServer(t, "https://elsewhere.example.com/steal?page=3")
	_, err := testAdapter(t, ts.URL).Read(context.Background())
	if err == nil || !strings.Contains(err.Error(), "is not on") {
		t.Errorf("next link to another host: %v, want a refusal", err)
	}
}
