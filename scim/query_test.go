package scim

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	filter "github.com/scim2/filter-parser/v2"
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/internal/store/pgtest"
)

// queryFixture stores users and groups with what makes filters differ:
// case, several e-mails of several types (or none, or no type), LIKE's
// special characters, Japanese, empty and missing values, creation times
// with fractions of a second, a deleted user, a user whose e-mail changed.
func queryFixture(t *testing.T, st store.Store) {
	t.Helper()
	ctx := t.Context()
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	n := 0
	create := func(typ, name, externalID string, doc map[string]any) store.SCIMResource {
		t.Helper()
		raw, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		n++
		res, err := st.SCIMCreate(ctx, store.SCIMResource{Type: typ, ID: fmt.Sprintf("%s-%02d", typ, n), ExternalID: externalID, Name: name, Doc: raw,
			Created: base.Add(time.Duration(n) * 700 * time.Millisecond)})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	email := func(value, typ string) map[string]any {
		e := map[string]any{"value": value}
		if typ != "" {
			e["type"] = typ
		}
		return e
	}
	types := []string{"work", "Work", "home", "", "other"}
	for i := range 24 {
		userName := fmt.Sprintf("User%02d@Example.com", i)
		doc := map[string]any{"userName": userName, "active": i%3 != 0, "title": fmt.Sprintf("t%d", i%4)}
		if i%5 != 4 {
			doc["displayName"] = fmt.Sprintf("社員 %d", i)
		}
		var emails []any
		for j := range i % 3 {
			emails = append(emails, email(fmt.Sprintf("user%02d.%d@%s", i, j, []string{"example.com", "example.org"}[j]), types[(i+j)%len(types)]))
		}
		if emails != nil {
			doc["emails"] = emails
		}
		externalID := ""
		if i%4 != 0 {
			externalID = fmt.Sprintf("ext-%d", i)
		}
		create(TypeUser, userName, externalID, doc)
	}
	create(TypeUser, "bob_smith", "Ext-Bob", map[string]any{"userName": "bob_smith", "displayName": "Bob 100%",
		"emails": []any{email("Bob_Smith@Example.COM", "WORK"), email("b%s@home.example", "home")}})
	create(TypeUser, "hanako", "", map[string]any{"userName": "hanako", "displayName": "山田 花子",
		"emails": []any{email("hanako@例え.jp", "work"), map[string]any{"type": "work"}}})
	create(TypeUser, "empty", "", map[string]any{"userName": "empty", "displayName": "", "emails": []any{email("", "work")}})
	gone := create(TypeUser, "gone", "ext-gone", map[string]any{"userName": "gone", "emails": []any{email("gone@example.com", "work")}})
	if err := st.SCIMDelete(ctx, TypeUser, gone.ID, nil); err != nil {
		t.Fatal(err)
	}
	moved := create(TypeUser, "moved", "ext-moved", map[string]any{"userName": "moved", "emails": []any{email("old@example.com", "work")}})
	moved.Doc = []byte(`{"userName":"moved","emails":[{"value":"new@example.com","type":"work"}]}`)
	if _, err := st.SCIMUpdate(ctx, moved, moved.Version, nil); err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{"Sales", "sales EU", "Support_1", "営業部"} {
		create(TypeGroup, g, "", map[string]any{"displayName": g})
	}
	create(TypeGroup, "Admins", "ext-admins", map[string]any{"displayName": "Admins", "members": []any{map[string]any{"value": "User-01"}}})
}

// queryFilters are filters over the fixture; indexed says that the store
// must answer them (the test fails if the endpoint would not use the
// index), the others check that what is not indexed still goes to the
// matcher. stamp is replaced by the fixture's modification times.
var queryFilters = []struct {
	typ     string
	filter  string
	indexed bool
}{
	{TypeUser, `userName eq "USER03@example.com"`, true},
	{TypeUser, `urn:ietf:params:scim:schemas:core:2.0:User:userName eq "user03@example.com"`, true},
	{TypeUser, `userName ne "user03@example.com"`, true},
	{TypeUser, `userName sw "user0"`, true},
	{TypeUser, `userName sw ""`, true},
	{TypeUser, `userName co "ER1"`, true},
	{TypeUser, `userName co "r"`, true},
	{TypeUser, `userName co "b_s"`, true},
	{TypeUser, `userName co "r_1"`, true},
	{TypeUser, `userName ew ".COM"`, true},
	{TypeUser, `userName gt "user10"`, true},
	{TypeUser, `userName le "user10@example.com"`, true},
	{TypeUser, `userName lt "bob"`, true},
	{TypeUser, `userName pr`, true},
	{TypeUser, `displayName eq "山田 花子"`, true},
	{TypeUser, `displayName co "100%"`, true},
	{TypeUser, `displayName co "1%"`, true},
	{TypeUser, `displayName co "員 1"`, true},
	{TypeUser, `displayName pr`, true},
	{TypeUser, `displayName eq ""`, true},
	{TypeUser, `emails.value eq "USER05.0@example.com"`, true},
	{TypeUser, `emails eq "user05.1@EXAMPLE.org"`, true},
	{TypeUser, `emails co "example.org"`, true},
	{TypeUser, `emails co "%"`, true},
	{TypeUser, `emails.value sw "user1"`, true},
	{TypeUser, `emails.value ew "@例え.jp"`, true},
	{TypeUser, `emails.value pr`, true},
	{TypeUser, `emails.value eq "old@example.com"`, true},
	{TypeUser, `emails.value eq "new@example.com"`, true},
	{TypeUser, `emails.value eq "gone@example.com"`, true},
	{TypeUser, `emails[type eq "work" and value eq "user05.0@example.com"]`, true},
	{TypeUser, `emails[type eq "work" and value eq "user06.0@example.com"]`, true},
	{TypeUser, `emails[value eq "Bob_Smith@example.com" and type eq "Work"]`, true},
	{TypeUser, `emails[type eq "home" and value co "home"]`, true},
	{TypeUser, `emails[type eq "work" and value co "example"]`, true},
	{TypeUser, `emails[value sw "user1"]`, true},
	{TypeUser, `emails[type eq "work" and value pr]`, true},
	{TypeUser, `emails[type eq "other" and value gt "user2"]`, true},
	{TypeUser, `id eq "User-03"`, true},
	{TypeUser, `id ne "User-03"`, true},
	{TypeUser, `id sw "user"`, true},
	{TypeUser, `id pr`, true},
	{TypeUser, `externalId eq "ext-3"`, true},
	{TypeUser, `externalId eq "EXT-3"`, true},
	{TypeUser, `externalId pr`, true},
	{TypeUser, `externalId sw "ext-1"`, true},
	{TypeUser, `externalId eq ""`, true},
	{TypeUser, `meta.created gt "2026-01-02T03:04:10Z"`, true},
	{TypeUser, `meta.created gt "2026-01-02T03:04:10.5Z"`, true},
	{TypeUser, `meta.created ge "2026-01-02T03:04:10.5Z"`, true},
	{TypeUser, `meta.created ge "2026-01-02T03:04:10Z"`, true},
	{TypeUser, `meta.created lt "2026-01-02T03:04:10.2Z"`, true},
	{TypeUser, `meta.created le "2026-01-02T03:04:10Z"`, true},
	{TypeUser, `meta.created eq "2026-01-02T03:04:10Z"`, true},
	{TypeUser, `meta.created eq "2026-01-02T03:04:10.5Z"`, true},
	{TypeUser, `meta.created ne "2026-01-02T03:04:10Z"`, true},
	{TypeUser, `meta.created gt "2026-01-02T12:04:10+09:00"`, true},
	{TypeUser, `meta.created gt "2026-01-02T03:04:10"`, true},
	{TypeUser, `meta.created gt "yesterday"`, true},
	{TypeUser, `meta.created pr`, true},
	{TypeUser, `meta.lastModified gt "stamp"`, true},
	{TypeUser, `meta.lastModified ge "stamp"`, true},
	{TypeUser, `meta.lastModified lt "stamp"`, true},
	{TypeUser, `meta.lastModified le "stamp"`, true},
	{TypeUser, `meta.lastModified eq "stamp"`, true},
	{TypeUser, `userName sw "user0" and emails[type eq "work" and value co "example.com"]`, true},
	{TypeUser, `userName sw "user0" or displayName co "花"`, true},
	{TypeUser, `not (userName sw "user0")`, true},
	{TypeUser, `not (not (userName sw "user0"))`, true},
	{TypeUser, `(userName co "1" or userName co "2") and not (emails.value pr)`, true},
	{TypeUser, `userName eq "nobody" and meta.created gt "yesterday"`, true},
	{TypeUser, `userName eq "nobody" or meta.created pr`, true},
	{TypeUser, `meta.created gt "yesterday" or not (id pr)`, true},
	// Left to the matcher.
	{TypeUser, `title eq "t1"`, false},
	{TypeUser, `active eq true`, false},
	{TypeUser, `emails pr`, false},
	{TypeUser, `emails[type eq "work"]`, false},
	{TypeUser, `emails[type eq "work" and value ne "x"]`, false},
	{TypeUser, `externalId co "xt-1"`, false},
	{TypeUser, `userName eq "user01@example.com" and title eq "t1"`, false},
	{TypeUser, `meta.created sw "2026"`, false},
	{TypeUser, `userName eq 5`, false},
	{TypeGroup, `displayName eq "SALES"`, true},
	{TypeGroup, `displayName sw "s"`, true},
	{TypeGroup, `displayName co "ale"`, true},
	{TypeGroup, `displayName co "t_1"`, true},
	{TypeGroup, `displayName eq "営業部"`, true},
	{TypeGroup, `externalId pr`, true},
	{TypeGroup, `userName eq "Sales"`, false},
	{TypeGroup, `emails.value eq "x"`, false},
	{TypeGroup, `members[value eq "User-01"]`, false},
}

// TestIndexedFiltersMatchTheMatcher runs every filter of queryFilters both
// ways, through the store's index and through the matcher over every
// stored resource, on SQLite and on PostgreSQL, and wants the same
// resources in the same order, the same totals and the same pages.
func TestIndexedFiltersMatchTheMatcher(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			var st store.Store
			var err error
			if db == "sqlite" {
				st, err = store.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "state.db"), nil)
			} else {
				st, err = store.OpenPostgres(t.Context(), pgtest.NewDatabase(t), nil)
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = st.Close() })
			queryFixture(t, st)
			compareFilters(t, st)
		})
	}
}

func compareFilters(t *testing.T, st store.Store) {
	ctx := t.Context()
	handlers := map[string]*resources{
		TypeUser:  {typ: TypeUser, store: st, match: newMatcher(userSchema(), enterpriseSchema()), log: zap.NewNop()},
		TypeGroup: {typ: TypeGroup, store: st, match: newMatcher(groupSchema()), log: zap.NewNop()},
	}
	users, err := st.SCIMList(ctx, TypeUser)
	if err != nil {
		t.Fatal(err)
	}
	// Modification times of the fixture: exactly, and half a second off.
	var stamps []string
	for _, i := range []int{0, 10, len(users) - 1} {
		m := users[i].Modified
		for _, d := range []time.Duration{0, -500 * time.Millisecond, 500 * time.Millisecond, time.Second} {
			stamps = append(stamps, m.Add(d).Format(time.RFC3339Nano), m.Add(d).Format(time.RFC3339))
		}
	}
	indexed := 0
	for _, tt := range queryFilters {
		texts := []string{tt.filter}
		if strings.Contains(tt.filter, `"stamp"`) {
			texts = nil
			for _, s := range stamps {
				texts = append(texts, strings.Replace(tt.filter, `"stamp"`, `"`+s+`"`, 1))
			}
		}
		for _, text := range texts {
			expr, err := filter.ParseFilter([]byte(normalizeFilter(text)))
			if err != nil {
				t.Fatalf("%s: %v", text, err)
			}
			h := handlers[tt.typ]
			_, _, ok := storeFilter(tt.typ, expr)
			if ok != tt.indexed {
				t.Errorf("%s %s: indexed %v, want %v", tt.typ, text, ok, tt.indexed)
				continue
			}
			if ok {
				indexed++
			}
			want := matcherIDs(t, h, expr)
			for _, p := range []struct{ offset, count int }{{0, 1000}, {0, 3}, {2, 3}, {len(want) - 1, 5}, {len(want), 5}, {0, 0}} {
				if p.offset < 0 {
					continue
				}
				page, err := h.list(ctx, expr, p.offset, p.count)
				if err != nil {
					t.Fatalf("%s %s: %v", tt.typ, text, err)
				}
				got := []string{}
				for _, r := range page.Resources {
					got = append(got, r.ID)
				}
				w := want[min(p.offset, len(want)):min(p.offset+p.count, len(want))]
				if !slices.Equal(got, w) || page.TotalResults != len(want) {
					t.Errorf("%s %s (offset %d, count %d) = %v (total %d), want %v (total %d)",
						tt.typ, text, p.offset, p.count, got, page.TotalResults, w, len(want))
				}
			}
		}
	}
	if indexed < 70 {
		t.Fatalf("only %d filters went to the index", indexed)
	}
}

// matcherIDs are the ids of the resources the matcher finds for expr among
// every stored resource of the handler's type, in list order.
func matcherIDs(t *testing.T, h *resources, expr filter.Expression) []string {
	t.Helper()
	list, err := h.store.SCIMList(context.Background(), h.typ)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, res := range list {
		doc, err := decodeStored(res)
		if err != nil {
			t.Fatal(err)
		}
		if h.match.match(full(res, doc), expr) {
			ids = append(ids, res.ID)
		}
	}
	return ids
}
