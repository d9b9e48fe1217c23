package directory

import (
	"context"
	"fmt"
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

// TestDecodeListing reads the emulator's shape and the variants a server
// built from the same document may answer.
func TestDecodeListing(t *testing.T) {
	a := func(subject, code, status string) Assignment {
		return Assignment{SubjectID: subject, Code: code, Status: status}
	}
	tests := []struct {
		name  string
		body  string
		want  Listing
		next  string
		isErr bool
	}{
		{
			name: "the emulator's",
			body: `{"organizationId":"o","accountTypes":[{"code":"standard","name":"一般"},{"code":"admin","name":"管理者"}],
				"items":[{"organizationId":"o","subjectId":"a","code":"admin","status":"active","createdAt":"c","updatedAt":"u"}]}`,
			want: Listing{
				AccountTypes: []AccountType{{"standard", "一般"}, {"admin", "管理者"}},
				Assignments:  []Assignment{{SubjectID: "a", Code: "admin", Status: "active", CreatedAt: "c", UpdatedAt: "u"}},
			},
		},
		{name: "a bare array", body: `[{"subjectId":"a","code":"x"},{"subject_id":"b","account_type":"y","state":"DISABLED"}]`,
			want: Listing{Assignments: []Assignment{a("a", "x", ""), a("b", "y", "DISABLED")}}},
		{name: "data, accountType object, suspended boolean",
			body: `{"data":[{"userId":"a","accountType":{"code":"x","name":"X"},"suspended":true},{"sub":"b","accountTypeCode":"y","isSuspended":false}]}`,
			want: Listing{Assignments: []Assignment{a("a", "x", "suspended"), a("b", "y", "active")}}},
		{name: "account types listing their subjects",
			body: `{"items":[{"code":"admin","name":"管理者","users":["a",{"subjectId":"b","status":"suspended"}]},{"code":"standard","subjects":[]}]}`,
			want: Listing{
				AccountTypes: []AccountType{{"admin", "管理者"}, {"standard", ""}},
				Assignments:  []Assignment{a("a", "admin", ""), a("b", "admin", "suspended")},
			}},
		{name: "types as strings, a next link", body: `{"types":["x","y"],"results":[],"next":"/page/2"}`,
			want: Listing{AccountTypes: []AccountType{{Code: "x"}, {Code: "y"}}}, next: "/page/2"},
		{name: "links.next.href", body: `{"items":[],"_links":{"next":{"href":"https://h/p2"}}}`, next: "https://h/p2"},
		{name: "numbers as ids", body: `{"items":[{"subjectId":42,"code":7}]}`,
			want: Listing{Assignments: []Assignment{a("42", "7", "")}}},
		{name: "unreadable entries are counted", body: `{"items":[1,{"code":"x"},{"subjectId":"a"},{"subjectId":"b","code":"y"}]}`,
			want: Listing{Assignments: []Assignment{a("b", "y", "")}, Skipped: 3}},
		{name: "empty", body: ``},
		{name: "an empty object", body: `{}`},
		{name: "a string", body: `"nope"`, isErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, next, err := decodeListing([]byte(tt.body))
			if (err != nil) != tt.isErr {
				t.Fatalf("err %v, want error %v", err, tt.isErr)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("listing (-want +got):\n%s", diff)
			}
			if next != tt.next {
				t.Errorf("next %q, want %q", next, tt.next)
			}
		})
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
	a, err := New(context.Background(), config.DirectoryTarget{
		BaseURL: base, ClientID: "c", ClientSecret: config.Secret{Env: "DIRECTORY_DECODE_SECRET"},
		OrganizationID: "o", HTTPClient: config.HTTPClient{MaxRetries: &retries, Timeout: 5 * time.Second},
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
