package aircourse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orgbridge/orgbridge/internal/httpkit"
)

// listPageCases are pages the one-pass decode (listPage.UnmarshalValidJSON
// through httpkit.Unmarshal, as DecodeJSON reads a list) must read as
// json.Unmarshal does, value for value and error for error: the shapes a
// server sends, and the odd ones that fall back to encoding/json.
var listPageCases = []string{
	string(usersPage(3)),
	`{"data":[],"meta":{"current_page":1,"last_page":1,"total":0}}`,
	`{"data":null}`,
	`{}`,
	`null`,
	` { "data" : [ { "id" : "u1" , "loginId" : "e\u00311" , "status" : "2" } ] , "meta" : null } `,
	`{"data":[{"id":"u1"}],"data":[{"id":"u2"},{"id":"u3"}]}`, // the last wins
	`{"Data":[{"id":"u1"}]}`, // encoding/json matches any case
	`{"data":[{"id":"u1"}],"META":{"total":5}}`,
	`{"data":[null,{"id":"u2","isSuspended":1,"memberOrganizationIds":["o1",2,null]}]}`,
	`{"data":{"id":"u1"}}`,
	`{"data":"none"}`,
	`{"data":["u1"]}`,
	`{"data":[{"id":"u1"}],"meta":"x"}`,
	`{"data":[{"id":"u1",}]}`, // malformed
	`{"data":[{"id":"\ud800"}]}`,
	`[]`,
	`"page"`,
}

func TestListPageDecodesAsEncodingJSON(t *testing.T) {
	for _, in := range listPageCases {
		checkListPage(t, []byte(in))
	}
}

func checkListPage(t *testing.T, in []byte) {
	t.Helper()
	for _, decode := range []func([]byte) (any, error, any, error){
		decodeBoth[User], decodeBoth[Organization], decodeBoth[Group], decodeBoth[Member],
	} {
		got, gotErr, want, wantErr := decode(in)
		if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
			t.Fatalf("page %q: error %v, want %v (encoding/json)", in, gotErr, wantErr)
		}
		if wantErr != nil {
			continue
		}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(Meta{})); diff != "" {
			t.Fatalf("page %q (-encoding/json +one pass):\n%s", in, diff)
		}
	}
}

// decodeBoth decodes in as a page of T by httpkit.Unmarshal and by
// encoding/json.
func decodeBoth[T any](in []byte) (got any, gotErr error, want any, wantErr error) {
	var g, w listPage[T]
	gotErr = httpkit.Unmarshal(in, &g)
	wantErr = json.Unmarshal(in, &w)
	return g, gotErr, w, wantErr
}

// FuzzListPage holds the one-pass page decode to encoding/json's on any
// input.
func FuzzListPage(f *testing.F) {
	for _, in := range listPageCases {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkListPage(t, in)
	})
}

// TestListJoinsPagesOfAnyLength reads lists whose pages (the count known
// from the first page's lastPage, read four at a time and decoded into
// slices reused from page to page) come back in other lengths than the
// first: the users come out in order, each once.
func TestListJoinsPagesOfAnyLength(t *testing.T) {
	for _, tc := range []struct {
		name    string
		lengths []int // of pages 1, 2, …; lastPage is len(lengths)
	}{
		{"every page full", []int{3, 3, 3, 3}},
		{"the last short", []int{3, 3, 3, 1}},
		{"one before the last short", []int{3, 1, 3, 2}},
		{"one longer than the first", []int{3, 3, 5, 3}},
		{"the first short, capped by the server", []int{2, 2, 2}},
		{"an empty page ends the list", []int{3, 3, 0, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := newMiniAPI(t)
			api.mux.HandleFunc("GET /users", func(w http.ResponseWriter, r *http.Request) {
				page, _ := strconv.Atoi(r.URL.Query().Get("page"))
				var data []string
				for i := range tc.lengths[page-1] {
					data = append(data, fmt.Sprintf(`{"id":"u%d_%d"}`, page, i))
				}
				fmt.Fprintf(w, `{"data":[%s],"meta":{"currentPage":%d,"lastPage":%d}}`, strings.Join(data, ","), page, len(tc.lengths))
			})
			c := newTestAdapter(t, testConfig(t, api.URL), nil).Client()
			users, err := c.ListUsers(context.Background(), 1000)
			if err != nil {
				t.Fatal(err)
			}
			var want, got []string
		pages:
			for p, n := range tc.lengths {
				if n == 0 {
					break pages
				}
				for i := range n {
					want = append(want, fmt.Sprintf("u%d_%d", p+1, i))
				}
			}
			for _, u := range users {
				got = append(got, u.ID)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("users (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEachPageStopsAtAnError: an error of the function pages are handed
// to stops the reading there and is returned; no page after it is handed
// on, and none before it twice.
func TestEachPageStopsAtAnError(t *testing.T) {
	const pages = 12
	api := newMiniAPI(t)
	api.mux.HandleFunc("GET /users", func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		fmt.Fprintf(w, `{"data":[{"id":"u%d"}],"meta":{"currentPage":%d,"lastPage":%d}}`, page, page, pages)
	})
	c := newTestAdapter(t, testConfig(t, api.URL), nil).Client()
	stop := errors.New("enough")
	var got []string
	err := eachPage(context.Background(), c, "/users", nil, 1, func(page []User) error {
		got = append(got, page[0].ID)
		if len(got) == 5 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Errorf("eachPage = %v, want the error of the page function", err)
	}
	if diff := cmp.Diff([]string{"u1", "u2", "u3", "u4", "u5"}, got); diff != "" {
		t.Errorf("pages handed on (-want +got):\n%s", diff)
	}
}
