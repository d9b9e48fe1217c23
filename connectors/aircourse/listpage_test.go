package aircourse

import (
	"encoding/json"
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
