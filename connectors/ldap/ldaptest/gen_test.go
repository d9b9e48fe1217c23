package ldaptest

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/internal/gen"
)

func TestLDIFEntryString(t *testing.T) {
	got := LDIFEntry{DN: "ou=本社,dc=example,dc=jp", Attrs: [][2]string{{"objectClass", "organizationalUnit"}, {"ou", "本社"}}}.String()
	want := "dn:: " + base64.StdEncoding.EncodeToString([]byte("ou=本社,dc=example,dc=jp")) + "\n" +
		"objectClass: organizationalUnit\n" +
		"ou:: " + base64.StdEncoding.EncodeToString([]byte("本社")) + "\n\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestWriteUsers(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.ldif"), filepath.Join(dir, "b.ldif")
	if err := WriteUsers(a, 30, GenOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := WriteUsers(b, 30, GenOptions{}); err != nil {
		t.Fatal(err)
	}
	da, _ := os.ReadFile(a)
	db, _ := os.ReadFile(b)
	if !bytes.Equal(da, db) {
		t.Error("two runs differ")
	}
	// 1 top + 4 depts + 12 sections + 30 users.
	if n := strings.Count(string(da), "\ndn:") + 1; n != 1+4+12+30 {
		t.Errorf("%d entries, want 47", n)
	}
	if strings.Count(string(da), "objectClass: inetOrgPerson\n") != 30 {
		t.Error("not 30 users")
	}
	for _, line := range strings.Split(string(da), "\n") {
		if i := strings.Index(line, ":: "); i >= 0 {
			if _, err := base64.StdEncoding.DecodeString(line[i+3:]); err != nil {
				t.Errorf("bad base64: %q", line)
			}
		} else if !gen.LDIFSafe(line) && line != "" {
			t.Errorf("unsafe raw line %q", line)
		}
	}

	c := filepath.Join(dir, "c.ldif")
	if err := WriteUsers(c, 5, GenOptions{UsersOnly: true, First: 31, Depts: 1, Sections: 1, TopOU: "x"}); err != nil {
		t.Fatal(err)
	}
	dc, _ := os.ReadFile(c)
	if strings.Contains(string(dc), "organizationalUnit") || !strings.Contains(string(dc), "uid: user0000031\n") ||
		!strings.Contains(string(dc), "uid: user0000035\n") || strings.Contains(string(dc), "uid: user0000036\n") {
		t.Errorf("UsersOnly, First 31:\n%s", dc)
	}
	if err := WriteUsers(filepath.Join(dir, "n.ldif"), -1, GenOptions{}); err == nil {
		t.Error("n = -1 accepted")
	}
}

func TestNames(t *testing.T) {
	if deptName(0) != "営業部" || deptName(8) != "部門09" || sectionName(0) != "第一課" || sectionName(10) != "第11課" {
		t.Error(deptName(0), deptName(8), sectionName(0), sectionName(10))
	}
}
