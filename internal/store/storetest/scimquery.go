package storetest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/internal/store"
)

// scimPerson is a User with e-mails (value, type pairs) and a displayName.
func scimPerson(id, userName, displayName string, created time.Time, emails ...string) store.SCIMResource {
	var list []string
	for i := 0; i+1 < len(emails); i += 2 {
		e := `{"value":` + jsonString(emails[i])
		if emails[i+1] != "" {
			e += `,"type":` + jsonString(emails[i+1])
		}
		list = append(list, e+`}`)
	}
	doc := `{"userName":` + jsonString(userName) + `,"displayName":` + jsonString(displayName) + `,"emails":[` + strings.Join(list, ",") + `]}`
	return store.SCIMResource{Type: store.SCIMUser, ID: id, ExternalID: "Ext-" + id, Name: userName, Doc: []byte(doc), Created: created}
}

func leaf(op store.SCIMOp, attr store.SCIMAttr, value string) *store.SCIMFilter {
	return &store.SCIMFilter{Op: op, Attr: attr, Value: value}
}

func scimQueryIDs(t *testing.T, s store.Store, typ string, where *store.SCIMFilter, offset, limit int) ([]string, int) {
	t.Helper()
	list, total, err := s.SCIMQuery(t.Context(), typ, where, offset, limit)
	must(t, err, fmt.Sprintf("SCIMQuery(%s, %+v, %d, %d)", typ, where, offset, limit))
	ids := []string{}
	for _, r := range list {
		if r.Type != typ || r.Deleted {
			t.Fatalf("SCIMQuery(%s) returned %s %s (deleted %v)", typ, r.Type, r.ID, r.Deleted)
		}
		ids = append(ids, r.ID)
	}
	return ids, total
}

// testSCIMQuery: every operator on every indexed attribute, the e-mail's
// type, case-insensitivity where RFC 7643 has it, LIKE's special
// characters taken literally, and the index kept by updates and deletes.
func testSCIMQuery(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := openStore(t, open)
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(i int) time.Time { return base.Add(time.Duration(i) * time.Minute) }
	scimCreate(t, s, scimPerson("u1", "Alice@Example.com", "Alice Liddell", at(1), "Alice@Example.com", "work", "alice@home.example", "Home"))
	scimCreate(t, s, scimPerson("u2", "bob_smith", "Bob 100%", at(2), "bob@example.com", "WORK"))
	scimCreate(t, s, scimPerson("u3", "carol", "山田 花子", at(3), "carol@example.org", "", "c_x%y@example.org", "work"))
	scimCreate(t, s, scimPerson("u4", "dave", "", at(4)))
	u5 := scimCreate(t, s, scimPerson("u5", "eve", "Eve", at(5), "eve@example.com", "work"))
	gone := scimCreate(t, s, scimPerson("u6", "mallory", "Mallory", at(6), "mallory@example.com", "work"))
	scimCreate(t, s, store.SCIMResource{Type: store.SCIMGroup, ID: "g1", Name: "Sales", Doc: []byte(`{"displayName":"Sales"}`), Created: at(7)})
	scimCreate(t, s, store.SCIMResource{Type: store.SCIMGroup, ID: "u1", Name: "Alice's", Doc: []byte(`{"displayName":"Alice's"}`), Created: at(8)})

	must(t, s.SCIMDelete(ctx, store.SCIMUser, gone.ID, nil), "SCIMDelete(u6)")
	// eve changes her address: the old one no longer finds her.
	u5.Doc = []byte(`{"userName":"eve","displayName":"Eve","emails":[{"value":"eve@new.example","type":"work"}]}`)
	_, err := s.SCIMUpdate(ctx, u5, u5.Version, nil)
	must(t, err, "SCIMUpdate(u5)")

	workEq := func(v string) *store.SCIMFilter {
		return &store.SCIMFilter{Op: store.SCIMEq, Attr: store.SCIMAttrEmails, Tag: "Work", Value: v}
	}
	tests := []struct {
		name  string
		typ   string
		where *store.SCIMFilter
		want  []string
	}{
		{"all users", store.SCIMUser, nil, []string{"u1", "u2", "u3", "u4", "u5"}},
		{"all groups", store.SCIMGroup, nil, []string{"g1", "u1"}},
		{"userName eq, case-insensitive", store.SCIMUser, leaf(store.SCIMEq, store.SCIMAttrUserName, "ALICE@example.COM"), []string{"u1"}},
		{"userName eq of a deleted user", store.SCIMUser, leaf(store.SCIMEq, store.SCIMAttrUserName, "mallory"), []string{}},
		{"userName sw", store.SCIMUser, leaf(store.SCIMSw, store.SCIMAttrUserName, "B"), []string{"u2"}},
		{"userName sw with _ literal", store.SCIMUser, leaf(store.SCIMSw, store.SCIMAttrUserName, "bob_"), []string{"u2"}},
		{"userName sw empty", store.SCIMUser, leaf(store.SCIMSw, store.SCIMAttrUserName, ""), []string{"u1", "u2", "u3", "u4", "u5"}},
		{"userName co", store.SCIMUser, leaf(store.SCIMCo, store.SCIMAttrUserName, "EXAMPLE"), []string{"u1"}},
		{"userName co short", store.SCIMUser, leaf(store.SCIMCo, store.SCIMAttrUserName, "v"), []string{"u4", "u5"}},
		{"userName co _ is not a wildcard", store.SCIMUser, leaf(store.SCIMCo, store.SCIMAttrUserName, "b_s"), []string{"u2"}},
		{"userName co _ is not a wildcard (no match)", store.SCIMUser, leaf(store.SCIMCo, store.SCIMAttrUserName, "a_i"), []string{}},
		{"userName ew", store.SCIMUser, leaf(store.SCIMEw, store.SCIMAttrUserName, ".COM"), []string{"u1"}},
		{"userName gt", store.SCIMUser, leaf(store.SCIMGt, store.SCIMAttrUserName, "Carol"), []string{"u4", "u5"}},
		{"userName ge", store.SCIMUser, leaf(store.SCIMGe, store.SCIMAttrUserName, "Carol"), []string{"u3", "u4", "u5"}},
		{"userName lt", store.SCIMUser, leaf(store.SCIMLt, store.SCIMAttrUserName, "bob_smith"), []string{"u1"}},
		{"userName le", store.SCIMUser, leaf(store.SCIMLe, store.SCIMAttrUserName, "BOB_SMITH"), []string{"u1", "u2"}},
		{"userName pr", store.SCIMUser, leaf(store.SCIMPr, store.SCIMAttrUserName, ""), []string{"u1", "u2", "u3", "u4", "u5"}},
		{"displayName co %", store.SCIMUser, leaf(store.SCIMCo, store.SCIMAttrDisplayName, "100%"), []string{"u2"}},
		{"displayName co % (no match)", store.SCIMUser, leaf(store.SCIMCo, store.SCIMAttrDisplayName, "1%0"), []string{}},
		{"displayName co Japanese", store.SCIMUser, leaf(store.SCIMCo, store.SCIMAttrDisplayName, "田 花"), []string{"u3"}},
		{"displayName eq empty", store.SCIMUser, leaf(store.SCIMEq, store.SCIMAttrDisplayName, ""), []string{"u4"}},
		{"displayName pr", store.SCIMUser, leaf(store.SCIMPr, store.SCIMAttrDisplayName, ""), []string{"u1", "u2", "u3", "u5"}},
		{"group displayName eq", store.SCIMGroup, leaf(store.SCIMEq, store.SCIMAttrDisplayName, "sales"), []string{"g1"}},
		{"group displayName sw", store.SCIMGroup, leaf(store.SCIMSw, store.SCIMAttrDisplayName, "ALICE"), []string{"u1"}},
		{"emails eq any type", store.SCIMUser, leaf(store.SCIMEq, store.SCIMAttrEmails, "ALICE@HOME.EXAMPLE"), []string{"u1"}},
		{"emails eq of a changed address", store.SCIMUser, leaf(store.SCIMEq, store.SCIMAttrEmails, "eve@example.com"), []string{}},
		{"emails eq of the new address", store.SCIMUser, leaf(store.SCIMEq, store.SCIMAttrEmails, "eve@new.example"), []string{"u5"}},
		{"emails work eq", store.SCIMUser, workEq("alice@example.com"), []string{"u1"}},
		{"emails work eq of a home address", store.SCIMUser, workEq("alice@home.example"), []string{}},
		{"emails work eq, type in upper case", store.SCIMUser, workEq("bob@example.com"), []string{"u2"}},
		{"emails home", store.SCIMUser, &store.SCIMFilter{Op: store.SCIMSw, Attr: store.SCIMAttrEmails, Tag: "home", Value: "alice"}, []string{"u1"}},
		{"emails co, any type", store.SCIMUser, leaf(store.SCIMCo, store.SCIMAttrEmails, "example.org"), []string{"u3"}},
		{"emails work co, % literal", store.SCIMUser, &store.SCIMFilter{Op: store.SCIMCo, Attr: store.SCIMAttrEmails, Tag: "work", Value: "x%y"}, []string{"u3"}},
		{"emails work co, other element", store.SCIMUser, &store.SCIMFilter{Op: store.SCIMCo, Attr: store.SCIMAttrEmails, Tag: "work", Value: "carol"}, []string{}},
		{"emails pr", store.SCIMUser, leaf(store.SCIMPr, store.SCIMAttrEmails, ""), []string{"u1", "u2", "u3", "u5"}},
		{"id eq", store.SCIMUser, leaf(store.SCIMEq, store.SCIMAttrID, "u3"), []string{"u3"}},
		{"id eq is case-exact", store.SCIMUser, leaf(store.SCIMEq, store.SCIMAttrID, "U3"), []string{}},
		{"id sw", store.SCIMGroup, leaf(store.SCIMSw, store.SCIMAttrID, "g"), []string{"g1"}},
		{"externalId eq", store.SCIMUser, leaf(store.SCIMEq, store.SCIMAttrExternalID, "Ext-u2"), []string{"u2"}},
		{"externalId eq is case-exact", store.SCIMUser, leaf(store.SCIMEq, store.SCIMAttrExternalID, "ext-u2"), []string{}},
		{"externalId pr: an empty one is absent", store.SCIMGroup, leaf(store.SCIMPr, store.SCIMAttrExternalID, ""), []string{}},
		{"externalId eq empty matches nothing", store.SCIMGroup, leaf(store.SCIMEq, store.SCIMAttrExternalID, ""), []string{}},
		{"created gt", store.SCIMUser, &store.SCIMFilter{Op: store.SCIMGt, Attr: store.SCIMAttrCreated, Time: at(3)}, []string{"u4", "u5"}},
		{"created eq", store.SCIMUser, &store.SCIMFilter{Op: store.SCIMEq, Attr: store.SCIMAttrCreated, Time: at(3)}, []string{"u3"}},
		{"created le", store.SCIMUser, &store.SCIMFilter{Op: store.SCIMLe, Attr: store.SCIMAttrCreated, Time: at(2)}, []string{"u1", "u2"}},
		{"created lt far past", store.SCIMUser, &store.SCIMFilter{Op: store.SCIMLt, Attr: store.SCIMAttrCreated, Time: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)}, []string{}},
		{"modified ge far past", store.SCIMUser, &store.SCIMFilter{Op: store.SCIMGe, Attr: store.SCIMAttrModified, Time: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)}, []string{"u1", "u2", "u3", "u4", "u5"}},
		{"and", store.SCIMUser, &store.SCIMFilter{Op: store.SCIMAnd, Args: []*store.SCIMFilter{
			leaf(store.SCIMCo, store.SCIMAttrEmails, "example"), leaf(store.SCIMSw, store.SCIMAttrDisplayName, "b")}}, []string{"u2"}},
		{"or", store.SCIMUser, &store.SCIMFilter{Op: store.SCIMOr, Args: []*store.SCIMFilter{
			leaf(store.SCIMEq, store.SCIMAttrUserName, "dave"), leaf(store.SCIMEq, store.SCIMAttrID, "u1"), leaf(store.SCIMEq, store.SCIMAttrID, "nobody")}}, []string{"u1", "u4"}},
		{"not", store.SCIMUser, &store.SCIMFilter{Op: store.SCIMNot, Args: []*store.SCIMFilter{leaf(store.SCIMPr, store.SCIMAttrEmails, "")}}, []string{"u4"}},
	}
	for _, tt := range tests {
		ids, total := scimQueryIDs(t, s, tt.typ, tt.where, 0, 100)
		if !reflect.DeepEqual(ids, tt.want) || total != len(tt.want) {
			t.Errorf("%s: SCIMQuery = %v (total %d), want %v", tt.name, ids, total, tt.want)
		}
	}

	// The modification time of eve's update, to the store's precision.
	mod := scimGet(t, s, store.SCIMUser, "u5").Modified
	ids, _ := scimQueryIDs(t, s, store.SCIMUser, &store.SCIMFilter{Op: store.SCIMGe, Attr: store.SCIMAttrModified, Time: mod}, 0, 100)
	if !reflect.DeepEqual(ids, []string{"u5"}) {
		t.Errorf("SCIMQuery(meta.lastModified ge the last update) = %v, want [u5]", ids)
	}

	for _, bad := range []*store.SCIMFilter{
		leaf(store.SCIMCo, store.SCIMAttrExternalID, "x"),
		leaf(store.SCIMEq, "title", "x"),
		{Op: store.SCIMAnd, Args: []*store.SCIMFilter{leaf(store.SCIMPr, store.SCIMAttrID, "")}},
		{Op: store.SCIMSw, Attr: store.SCIMAttrCreated, Time: at(1)},
		leaf(store.SCIMEq, store.SCIMAttrUserName, strings.Repeat("x", 5000)),
	} {
		if _, _, err := s.SCIMQuery(ctx, store.SCIMUser, bad, 0, 10); err == nil {
			t.Errorf("SCIMQuery(%+v): no error", bad)
		}
	}
	if _, _, err := s.SCIMQuery(ctx, "Device", nil, 0, 10); err == nil {
		t.Errorf("SCIMQuery of an unknown type: no error")
	}
}

// testSCIMQueryPaging: pages cut in SQL follow Created then ID, with the
// total of every match, at any offset; ties on Created are broken by ID.
func testSCIMQueryPaging(t *testing.T, open func(t *testing.T) store.Store) {
	s := openStore(t, open)
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var all, even []string
	for i := range 25 {
		id := fmt.Sprintf("u%02d", 24-i) // ids against the order of creation
		created := base.Add(time.Duration(i/2) * time.Second)
		scimCreate(t, s, scimPerson(id, "user"+id, "", created, fmt.Sprintf("%s@example.com", id), "work"))
	}
	// Created in pairs with one time: a pair is ordered by id.
	for i := range 25 {
		j := i
		if i < 24 {
			j = i ^ 1
		}
		all = append(all, fmt.Sprintf("u%02d", 24-j))
	}
	for _, id := range all {
		var n int
		fmt.Sscanf(id, "u%d", &n)
		if n%2 == 0 {
			even = append(even, id)
		}
	}
	or := &store.SCIMFilter{Op: store.SCIMOr}
	for _, id := range even {
		or.Args = append(or.Args, leaf(store.SCIMEq, store.SCIMAttrEmails, id+"@EXAMPLE.com"))
	}
	for _, tt := range []struct {
		where         *store.SCIMFilter
		want          []string
		offset, limit int
	}{
		{nil, all, 0, 10}, {nil, all, 10, 10}, {nil, all, 20, 10}, {nil, all, 25, 10}, {nil, all, 30, 10}, {nil, all, 3, 0},
		{or, even, 0, 5}, {or, even, 5, 5}, {or, even, 10, 5}, {or, even, 12, 5},
	} {
		ids, total := scimQueryIDs(t, s, store.SCIMUser, tt.where, tt.offset, tt.limit)
		want := tt.want[min(tt.offset, len(tt.want)):min(tt.offset+tt.limit, len(tt.want))]
		if !reflect.DeepEqual(ids, append([]string{}, want...)) || total != len(tt.want) {
			t.Errorf("SCIMQuery(offset %d, limit %d) = %v (total %d), want %v (total %d)", tt.offset, tt.limit, ids, total, want, len(tt.want))
		}
	}
}
