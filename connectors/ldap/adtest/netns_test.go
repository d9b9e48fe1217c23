package adtest_test

import (
	"net"
	"os"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/orgbridge/orgbridge/connectors/ldap/adtest"
)

// machine389 is a listener on the machine's 127.0.0.1:389, held for the
// whole test binary where the DC has a namespace of its own: a directory
// server elsewhere on the machine, which the DC must not need to displace.
var machine389 net.Listener

func TestMain(m *testing.M) {
	if os.Geteuid() == 0 && adtest.Isolated() == nil {
		machine389, _ = net.Listen("tcp", "127.0.0.1:389") // nil: someone else holds it, as good
	}
	code := m.Run()
	_ = adtest.Stop()
	if machine389 != nil {
		machine389.Close()
	}
	os.Exit(code)
}

// TestDCInOwnNamespace: the DC answers on ports the kernel picked, not the
// machine's 389 and 636, while the machine's 389 is taken by another
// listener for the whole run.
func TestDCInOwnNamespace(t *testing.T) {
	dc := adtest.Start(t)
	if err := adtest.Isolated(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI runs as root: the DC must get its own network namespace: %v", err)
		}
		t.Skipf("no network namespace here (%v): the DC binds the machine's ports", err)
	}
	for _, u := range []string{dc.URL, dc.LDAPSURL} {
		if strings.HasSuffix(u, ":389") || strings.HasSuffix(u, ":636") {
			t.Errorf("%s is a port of the machine", u)
		}
	}
	c, err := net.Dial("tcp", "127.0.0.1:389")
	if err != nil {
		t.Fatalf("the machine's 389 is not held by the stand-in server: %v", err)
	}
	c.Close()
	conn := dc.Conn(t)
	res, err := conn.Search(ldap.NewSearchRequest(dc.BaseDN, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"objectClass"}, nil))
	if err != nil || len(res.Entries) != 1 {
		t.Fatalf("search of %s through %s: %v, %v", dc.BaseDN, dc.URL, res, err)
	}
	t.Logf("DC at %s and %s; the machine's 389 held by another listener: %v", dc.URL, dc.LDAPSURL, machine389 != nil)
}
