package connectors_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
)

type idsMap map[string]string

func (m idsMap) TargetID(kind mapping.Kind, key string) (string, bool) {
	id, ok := m[string(kind)+"/"+key]
	return id, ok
}

func TestFindIn(t *testing.T) {
	snap := &mapping.Snapshot{
		Orgs: []mapping.Org{
			{Key: "o-root", Name: "ルート組織", System: true},
			{Key: "o1", Name: "本社", Code: "HQ", ParentKey: "o-root"},
			{Key: "o2", Name: "第一課", ParentKey: "o1"},
			{Key: "o3", Name: "第一課", ParentKey: "o4"},
			{Key: "o4", Name: "開発部", ParentKey: "o1"},
			{Key: "o5", Name: "重複", ParentKey: "o1"},
			{Key: "o6", Name: "重複", ParentKey: "o1"},
		},
		Groups: []mapping.Group{{Key: "g1", Name: "新人研修", OrgKey: "o1"}, {Key: "g2", Name: "委員会", Code: "C1"}},
		Users:  []mapping.User{{Key: "u1", LoginID: "E1001", Email: "a@example.com"}, {Key: "u2", Email: "B@example.com"}},
	}
	ids := idsMap{"org/hq": "o1", "org/dev": "o4"}
	for _, tc := range []struct {
		name string
		c    connectors.Change
		want string
	}{
		{"an org by code, whatever its name", change.CreateOrg(mapping.Org{Key: "hq", Name: "本店", Code: "hq"}), "o1"},
		{"an org by name under its parent", change.CreateOrg(mapping.Org{Key: "s1", Name: "第一課", ParentKey: "hq"}), "o2"},
		{"the same name under another parent", change.CreateOrg(mapping.Org{Key: "d1", Name: "第一課", ParentKey: "dev"}), "o3"},
		{"a parent without a target id matches nothing below it", change.CreateOrg(mapping.Org{Key: "x1", Name: "第一課", ParentKey: "nowhere"}), ""},
		{"two of a name are no answer", change.CreateOrg(mapping.Org{Key: "dup", Name: "重複", ParentKey: "hq"}), ""},
		{"a top-level org under the target's root", change.CreateOrg(mapping.Org{Key: "top", Name: "本社"}), "o1"},
		{"a group by name in its org", change.CreateGroup(mapping.Group{Key: "g", Name: "新人研修", OrgKey: "hq"}), "g1"},
		{"a group by code", change.CreateGroup(mapping.Group{Key: "c", Name: "other", Code: "c1"}), "g2"},
		{"a user by login id, case-insensitively", change.CreateUser(mapping.User{Key: "1001", LoginID: "e1001"}, nil), "u1"},
		{"a user by e-mail when the login id finds none", change.CreateUser(mapping.User{Key: "2", LoginID: "e2", Email: "b@example.com"}, nil), "u2"},
		{"a user nobody has", change.CreateUser(mapping.User{Key: "3", LoginID: "e3", Email: "c@example.com"}, nil), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := connectors.FindIn(snap, []connectors.Change{tc.c}, ids)
			if len(got) != 1 || got[0].Err != nil || got[0].TargetID != tc.want {
				t.Errorf("FindIn = %+v, want %q", got, tc.want)
			}
		})
	}
}

// TestFindEach: the answers come in the order of the creates, an error is
// that create's alone (wrapped with the target and the change), and no
// more than the limit are looked up at once.
func TestFindEach(t *testing.T) {
	cs := []connectors.Change{
		{Kind: mapping.KindUser, Key: "u1"},
		{Kind: mapping.KindUser, Key: "u2"},
		{Kind: mapping.KindOrg, Key: "o1"},
		{Kind: mapping.KindGroup, Key: "g1"},
		{Kind: mapping.KindUser, Key: "u3"},
	}
	errGone := errors.New("gone")
	var mu sync.Mutex
	inFlight, most := 0, 0
	got := connectors.FindEach(context.Background(), "tgt", cs, 2, func(ctx context.Context, c connectors.Change) (string, error) {
		mu.Lock()
		inFlight++
		most = max(most, inFlight)
		mu.Unlock()
		defer func() {
			mu.Lock()
			inFlight--
			mu.Unlock()
		}()
		if c.Key == "o1" {
			return "", errGone
		}
		return "id-" + c.Key, nil
	})
	if len(got) != len(cs) {
		t.Fatalf("%d answers for %d creates", len(got), len(cs))
	}
	for i, c := range cs {
		switch {
		case c.Key == "o1":
			if !errors.Is(got[i].Err, errGone) || got[i].Err.Error() != "tgt: look up org o1: gone" || got[i].TargetID != "" {
				t.Errorf("answer %d: %+v", i, got[i])
			}
		case got[i].Err != nil || got[i].TargetID != "id-"+c.Key:
			t.Errorf("answer %d: %+v, want id-%s", i, got[i], c.Key)
		}
	}
	if most > 2 {
		t.Errorf("%d lookups at once, limit 2", most)
	}
}
