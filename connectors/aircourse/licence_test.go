package aircourse

import (
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/aircourse/emulator"
	"github.com/orgbridge/orgbridge/internal/emukit"
	"github.com/orgbridge/orgbridge/mapping"
)

func licensedUser(key, license string) connectors.Change {
	return connectors.Change{Action: connectors.ActionCreate, Kind: mapping.KindUser, Key: key,
		User: &mapping.User{Key: key, LoginID: "e" + key, Name: "社員 " + key, Attributes: map[string]string{"license": license}}}
}

// The document sets an unusable licence to free with a 200. The adapter
// must say so instead of letting every run plan the same update again.
func TestLicenceNotGrantedIsAnError(t *testing.T) {
	e := newEnv(t, emulator.Options{Options: emukit.Options{RateLimit: -1}, LicenseSeats: map[string]int{"basic": 1, "contents": 0}}, nil)
	if _, err := e.try(licensedUser("1", "basic")); err != nil {
		t.Fatalf("first basic seat: %v", err)
	}
	res, err := e.try(licensedUser("2", "basic"))
	if err == nil || !strings.Contains(err.Error(), `license "basic" was stored as "free": the tenant has no basic seat left`) {
		t.Fatalf("second basic seat: err = %v", err)
	}
	if res.TargetID == "" {
		t.Error("the user was created; its id must still be reported")
	}
	// An update asking for a licence without a seat fails the same way.
	id := e.id(mapping.KindUser, "1")
	_, err = e.a.Apply(t.Context(), connectors.Change{Action: connectors.ActionUpdate, Kind: mapping.KindUser, Key: "1", TargetID: id,
		User: &mapping.User{Key: "1", Attributes: map[string]string{"license": "contents"}},
		Diff: []connectors.FieldChange{{Field: change.Attr("license"), Old: "basic", New: "contents"}}}, e)
	if err == nil || !strings.Contains(err.Error(), `license "contents" was stored as "free"`) {
		t.Errorf("update to contents: err = %v", err)
	}
}

// A tenant with SAML and per-user password login requires
// isEnabledPasswordLogin on create; the adapter can map and send it.
func TestPasswordLoginAttribute(t *testing.T) {
	e := newEnv(t, emulator.Options{Options: emukit.Options{RateLimit: -1}, SAMLPerUserPasswordLogin: true}, nil)
	c := licensedUser("1", "free")
	c.User.Attributes["isEnabledPasswordLogin"] = "true"
	if _, err := e.try(c); err != nil {
		t.Fatal(err)
	}
	snap, err := e.a.Read(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := snap.Users[0].Attributes["isEnabledPasswordLogin"]; got != "true" {
		t.Errorf("read back isEnabledPasswordLogin = %q", got)
	}
	c = licensedUser("2", "free")
	c.User.Attributes["isEnabledPasswordLogin"] = "yes"
	if _, err := e.try(c); err == nil || !strings.Contains(err.Error(), `isEnabledPasswordLogin: "yes" is not true or false`) {
		t.Errorf("bad value: err = %v", err)
	}
}
