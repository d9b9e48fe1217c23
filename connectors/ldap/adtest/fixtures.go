package adtest

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The directory layout every DC is loaded with. The named users live below
// UsersBase, groups below GroupsBase (outside the users' base, so that the
// org tree read from OUs holds only the OUs of people), the bulk users in
// BulkBase (outside the users' base too: Samba's in-chain rule costs about
// 3 ms for every user in the searched scope, so 1,600 bulk users there
// would make every nested-groups read of the named users take seconds per
// group).
const (
	Realm      = "EXAMPLE.TEST"
	Domain     = "EXAMPLE"
	BaseDN     = "DC=example,DC=test"
	UsersBase  = "OU=Corp," + BaseDN
	GroupsBase = "OU=Groups," + BaseDN
	BulkBase   = "OU=Bulk," + BaseDN

	// AdminPassword is the password of Administrator; UserPassword that of
	// every fixture user in Users (the bulk users have none).
	AdminPassword = "Passw0rd!Passw0rd"
	UserPassword  = "Passw0rd!User1"

	// BulkUsers is the number of users in BulkBase, all members of
	// BigGroup: more than Windows' MaxValRange of 1500, so that reading
	// the group's member attribute takes range retrieval.
	BulkUsers = 1600
	// MaxValRange is the number of values of one attribute Windows returns
	// before it answers with ";range=0-1499"; RangedURL enforces it.
	MaxValRange = 1500
	// BigGroup is the sAMAccountName of the group of the bulk users.
	BigGroup = "big-group"
	// MutableUser is the sAMAccountName of the user that tests may modify
	// (the DC is shared by every test of a binary): assert nothing about
	// its attributes other than what your own test wrote.
	MutableUser = "ito"
)

// User is one fixture user. Its DN is CN=<CN>,<the OUs of OUPath, deepest
// first>,UsersBase; a bulk user's is CN=<CN>,BulkBase.
type User struct {
	SAM        string // sAMAccountName; userPrincipalName is SAM@example.test
	CN         string
	GivenName  string
	Surname    string
	Mail       string
	Department string
	// OUPath is the OU names from the users' base down to the entry's
	// parent, joined by "/" (the source's ou_path); "" directly under it.
	OUPath string
	// Disabled users have userAccountControl 514 (NORMAL_ACCOUNT |
	// ACCOUNTDISABLE); the others 512.
	Disabled bool

	bulk bool
}

// DN of the user.
func (u User) DN() string {
	if u.bulk {
		return "CN=" + u.CN + "," + BulkBase
	}
	return "CN=" + u.CN + "," + ouDN(u.OUPath)
}

// UPN is the user's userPrincipalName.
func (u User) UPN() string { return u.SAM + "@example.test" }

// UserAccountControl is the value the user is loaded with.
func (u User) UserAccountControl() int {
	if u.Disabled {
		return 514
	}
	return 512
}

// Group is one fixture group in GroupsBase. Members are sAMAccountNames of
// users or of other groups.
type Group struct {
	SAM         string
	CN          string
	Description string
	Members     []string
}

// DN of the group.
func (g Group) DN() string { return "CN=" + g.CN + "," + GroupsBase }

// OUs lists the OU paths below UsersBase, parents first. The names are
// Japanese on purpose (non-ASCII DNs).
var OUs = []string{
	"本社",
	"本社/営業部",
	"本社/営業部/第一課",
	"本社/営業部/第二課",
	"本社/開発部",
}

// Users are the named fixture users. Their department is their OU path.
var Users = []User{
	{SAM: "yamada", CN: "山田 太郎", GivenName: "太郎", Surname: "山田", Mail: "yamada@example.test", Department: "本社/営業部/第一課", OUPath: "本社/営業部/第一課"},
	{SAM: "suzuki", CN: "鈴木 花子", GivenName: "花子", Surname: "鈴木", Mail: "suzuki@example.test", Department: "本社/営業部/第二課", OUPath: "本社/営業部/第二課"},
	{SAM: "ito", CN: "伊藤 三郎", GivenName: "三郎", Surname: "伊藤", Mail: "ito@example.test", Department: "本社/営業部/第二課", OUPath: "本社/営業部/第二課"},
	{SAM: "tanaka", CN: "田中 一郎", GivenName: "一郎", Surname: "田中", Mail: "tanaka@example.test", Department: "本社/開発部", OUPath: "本社/開発部", Disabled: true},
	{SAM: "sato", CN: "佐藤 次郎", GivenName: "次郎", Surname: "佐藤", Mail: "sato@example.test", Department: "本社/開発部", OUPath: "本社/開発部"},
	{SAM: "kimura", CN: "木村 四郎", GivenName: "四郎", Surname: "木村", Mail: "kimura@example.test", Department: "", OUPath: ""},
}

// Groups: all-staff ⊃ sales ⊃ sales-1 ∋ yamada is the two-level nesting;
// big-group holds the BulkUsers bulk users.
var Groups = []Group{
	{SAM: "sales-1", CN: "Sales 1", Description: "営業部 第一課", Members: []string{"yamada"}},
	{SAM: "sales", CN: "Sales", Description: "営業部", Members: []string{"sales-1", "suzuki", "ito"}},
	{SAM: "all-staff", CN: "All Staff", Description: "全社員", Members: []string{"sales", "tanaka", "sato"}},
	{SAM: BigGroup, CN: "Big Group", Description: "1600 members", Members: nil}, // the bulk users
}

// BulkUser is the i-th bulk user (0 <= i < BulkUsers): sAMAccountName and
// CN bulkNNNN directly in BulkBase (OUPath ""), department "Bulk",
// userAccountControl 544 (NORMAL_ACCOUNT | PASSWD_NOTREQD: enabled, no
// password, which keeps loading fast).
func BulkUser(i int) User {
	n := fmt.Sprintf("bulk%04d", i)
	return User{SAM: n, CN: n, GivenName: "Bulk", Surname: n, Mail: n + "@example.test", Department: "Bulk", bulk: true}
}

// GroupsOf returns the sAMAccountNames of the groups sam is in, directly
// or (nested) through other groups, sorted by the order of Groups.
func GroupsOf(sam string, nested bool) []string {
	var out []string
	seen := map[string]bool{}
	var visit func(member string)
	visit = func(member string) {
		for _, g := range Groups {
			if seen[g.SAM] || !isMember(g, member) {
				continue
			}
			seen[g.SAM] = true
			if nested {
				visit(g.SAM)
			}
		}
	}
	visit(sam)
	for _, g := range Groups {
		if seen[g.SAM] {
			out = append(out, g.SAM)
		}
	}
	return out
}

func isMember(g Group, sam string) bool {
	if g.SAM == BigGroup {
		return strings.HasPrefix(sam, "bulk")
	}
	for _, m := range g.Members {
		if m == sam {
			return true
		}
	}
	return false
}

// ouDN turns "a/b/c" into "OU=c,OU=b,OU=a,UsersBase".
func ouDN(path string) string {
	if path == "" {
		return UsersBase
	}
	parts := strings.Split(path, "/")
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteString("OU=" + parts[i] + ",")
	}
	return b.String() + UsersBase
}

// OUDN is the DN of the OU at path ("" is UsersBase).
func OUDN(path string) string { return ouDN(path) }

// fixtureLDIF is every fixture entry as LDIF, in the order they must be
// added.
func fixtureLDIF() string {
	var w ldifWriter
	for _, base := range []string{UsersBase, GroupsBase, BulkBase} {
		w.entry(base, "objectClass", "organizationalUnit")
	}
	for _, p := range OUs {
		desc := p + " の組織"
		w.entry(ouDN(p), "objectClass", "organizationalUnit", "description", desc)
	}
	pw := unicodePwd(UserPassword)
	for _, u := range Users {
		w.entry(u.DN(), userAttrs(u, fmt.Sprint(u.UserAccountControl()), "unicodePwd", pw)...)
	}
	for i := 0; i < BulkUsers; i++ {
		w.entry(BulkUser(i).DN(), userAttrs(BulkUser(i), "544")...)
	}
	dnOf := map[string]string{}
	for _, u := range Users {
		dnOf[u.SAM] = u.DN()
	}
	for _, g := range Groups {
		dnOf[g.SAM] = g.DN()
	}
	for _, g := range Groups {
		attrs := []string{"objectClass", "group", "sAMAccountName", g.SAM, "description", g.Description}
		for _, m := range g.Members {
			attrs = append(attrs, "member", dnOf[m])
		}
		if g.SAM == BigGroup {
			for i := 0; i < BulkUsers; i++ {
				attrs = append(attrs, "member", BulkUser(i).DN())
			}
		}
		w.entry(g.DN(), attrs...)
	}
	return w.String()
}

func userAttrs(u User, uac string, extra ...string) []string {
	a := []string{
		"objectClass", "user",
		"sAMAccountName", u.SAM,
		"userPrincipalName", u.UPN(),
		"givenName", u.GivenName,
		"sn", u.Surname,
		"displayName", u.CN,
		"mail", u.Mail,
		"userAccountControl", uac,
	}
	if u.Department != "" {
		a = append(a, "department", u.Department)
	}
	return append(a, extra...)
}

// unicodePwd is AD's password attribute value: the password in double
// quotes, UTF-16LE.
func unicodePwd(pw string) string {
	u := utf16.Encode([]rune(`"` + pw + `"`))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		b[2*i], b[2*i+1] = byte(c), byte(c>>8)
	}
	return string(b)
}

// ldifWriter writes add records; values that are not safe strings
// (RFC 2849) are base64.
type ldifWriter struct{ b strings.Builder }

func (w *ldifWriter) entry(dn string, attrVals ...string) {
	w.line("dn", dn)
	for i := 0; i+1 < len(attrVals); i += 2 {
		w.line(attrVals[i], attrVals[i+1])
	}
	w.b.WriteString("\n")
}

func (w *ldifWriter) line(attr, val string) {
	if safeLDIF(val) {
		fmt.Fprintf(&w.b, "%s: %s\n", attr, val)
	} else {
		fmt.Fprintf(&w.b, "%s:: %s\n", attr, base64.StdEncoding.EncodeToString([]byte(val)))
	}
}

func (w *ldifWriter) String() string { return w.b.String() }

func safeLDIF(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return s == ""
	}
	if s[0] == ' ' || s[0] == ':' || s[0] == '<' || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == 0 || c == '\n' || c == '\r' || c >= 0x80 {
			return false
		}
	}
	return true
}
