package ldaptest

import (
	"path/filepath"
	"runtime"
	"testing"
)

// Testdata returns the path of a file in connectors/ldap/testdata, found
// from this source file's location, so that a test in any package can
// load the fixtures: ldaptest.Testdata("base.ldif").
func Testdata(name string) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return filepath.Join("testdata", name)
	}
	return filepath.Join(filepath.Dir(file), "..", "testdata", name)
}

// StartBase starts a server with testdata/base.ldif loaded first (see the
// package doc), then opts.LDIF; opts.Suffix must be empty or BaseSuffix.
func StartBase(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Suffix != "" && opts.Suffix != BaseSuffix {
		t.Fatalf("ldaptest.StartBase: base.ldif is written for %s, not %s", BaseSuffix, opts.Suffix)
	}
	opts.Suffix = BaseSuffix
	opts.LDIF = append([]string{Testdata("base.ldif")}, opts.LDIF...)
	return Start(t, opts)
}

// BaseSuffix is the suffix base.ldif is written for.
const BaseSuffix = "dc=example,dc=jp"

// FixtureUser is what base.ldif holds for one user, and so what a read of
// it must find.
type FixtureUser struct {
	UID string
	DN  string
	// OUPath is the ou_path with users.base_dn dc=example,dc=jp (drop the
	// leading "本社/" for a base of ou=本社).
	OUPath string
	// Groups are the cn of every group the user is in, nesting expanded
	// (member and uniqueMember DNs; cycles end where a group repeats);
	// DirectGroups without expansion. Neither holds posixGroups, which
	// name members by uid: PosixGroups has those.
	Groups, DirectGroups, PosixGroups []string
	// MemberOf are the cn of the groups in the user's memberOf, which the
	// memberof overlay keeps for groupOfNames only, direct membership only.
	MemberOf []string
	// Disabled: pwdAccountLockedTime is set.
	Disabled bool
	// Mail is every mail value; nil when the entry has none.
	Mail []string
	// NoEmployeeNumber: the entry lacks employeeNumber.
	NoEmployeeNumber bool
}

// FixtureGroup is what base.ldif holds for one group.
type FixtureGroup struct {
	CN, DN      string
	ObjectClass string // groupOfNames, groupOfUniqueNames or posixGroup
	// DirectUsers are the uids of the users among its members;
	// Users those at any depth; SubGroups the cn of the groups among its
	// direct members. Dangling members (DNs or uids naming no entry) are
	// in none of them.
	DirectUsers, Users, SubGroups []string
}

const (
	dnHonsha   = "ou=本社,dc=example,dc=jp"
	dnEigyo    = "ou=営業部," + dnHonsha
	dnDai1     = "ou=第一課," + dnEigyo
	dnDai2     = "ou=第二課," + dnEigyo
	dnKaihatsu = "ou=開発部," + dnHonsha
	dnKiban    = `ou=基盤\,運用,` + dnKaihatsu
	dnTaishoku = "ou=退職者," + dnHonsha
	dnGroups   = "ou=グループ,dc=example,dc=jp"
)

func userDN(uid, parent string) string { return "uid=" + uid + "," + parent }
func groupDN(cn string) string         { return "cn=" + cn + "," + dnGroups }

// BaseUsers are base.ldif's 20 users, in file order.
var BaseUsers = []FixtureUser{
	{UID: "sato.ichiro", DN: userDN("sato.ichiro", dnHonsha), OUPath: "本社",
		Groups: []string{"循環A", "循環B"}, DirectGroups: []string{"循環A"}, MemberOf: []string{"循環A"},
		Mail: []string{"sato.ichiro@example.jp"}},
	{UID: "suzuki.hanako", DN: userDN("suzuki.hanako", dnEigyo), OUPath: "本社/営業部",
		Groups: []string{"全社員", "営業部員", "循環A", "循環B"}, DirectGroups: []string{"営業部員", "循環B"}, MemberOf: []string{"営業部員", "循環B"},
		Mail: []string{"suzuki.hanako@example.jp"}},
	{UID: "takahashi.kenta", DN: userDN("takahashi.kenta", dnDai1), OUPath: "本社/営業部/第一課",
		Groups:       []string{"プロジェクトX", "全社員", "営業第一課員", "営業部員", "大部屋"},
		DirectGroups: []string{"プロジェクトX", "営業第一課員", "大部屋"}, MemberOf: []string{"営業第一課員", "大部屋"},
		Mail: []string{"takahashi.kenta@example.jp"}},
	{UID: "tanaka.yui", DN: userDN("tanaka.yui", dnDai1), OUPath: "本社/営業部/第一課",
		Groups: []string{"全社員", "営業第一課員", "営業部員", "大部屋"}, DirectGroups: []string{"営業第一課員", "大部屋"}, MemberOf: []string{"営業第一課員", "大部屋"},
		Mail: []string{"tanaka.yui@example.jp"}},
	{UID: "watanabe.sho", DN: userDN("watanabe.sho", dnDai1), OUPath: "本社/営業部/第一課",
		Groups: []string{"全社員", "営業第一課員", "営業部員", "大部屋"}, DirectGroups: []string{"営業第一課員", "大部屋"}, MemberOf: []string{"営業第一課員", "大部屋"},
		Mail: []string{"watanabe.sho@example.jp"}},
	{UID: "ito.misaki", DN: userDN("ito.misaki", dnDai1), OUPath: "本社/営業部/第一課",
		Groups: []string{"全社員", "営業第一課員", "営業部員", "大部屋"}, DirectGroups: []string{"営業第一課員", "大部屋"}, MemberOf: []string{"営業第一課員", "大部屋"},
		Mail: []string{"ito.misaki@example.jp", "misaki.ito@example.jp"}},
	{UID: "yamamoto.daiki", DN: userDN("yamamoto.daiki", dnDai1), OUPath: "本社/営業部/第一課",
		Groups: []string{"全社員", "営業第一課員", "営業部員", "大部屋"}, DirectGroups: []string{"営業第一課員", "大部屋"}, MemberOf: []string{"営業第一課員", "大部屋"}},
	{UID: "shimizu.yuna", DN: userDN("shimizu.yuna", dnDai1), OUPath: "本社/営業部/第一課",
		Groups: []string{"全社員", "営業第一課員", "営業部員"}, DirectGroups: []string{"営業第一課員"}, MemberOf: []string{"営業第一課員"},
		Mail: []string{"shimizu.yuna@example.jp"}},
	{UID: "nakamura.aoi", DN: userDN("nakamura.aoi", dnDai2), OUPath: "本社/営業部/第二課",
		Groups: []string{"全社員", "営業部員", "大部屋"}, DirectGroups: []string{"営業部員", "大部屋"}, MemberOf: []string{"営業部員", "大部屋"},
		Mail: []string{"nakamura.aoi@example.jp"}},
	{UID: "kobayashi.ren", DN: userDN("kobayashi.ren", dnDai2), OUPath: "本社/営業部/第二課",
		Groups: []string{"全社員", "営業部員", "大部屋"}, DirectGroups: []string{"営業部員", "大部屋"}, MemberOf: []string{"営業部員", "大部屋"},
		Disabled: true, Mail: []string{"kobayashi.ren@example.jp"}},
	{UID: "kato.sakura", DN: userDN("kato.sakura", dnDai2), OUPath: "本社/営業部/第二課",
		Groups: []string{"全社員", "営業部員", "大部屋"}, DirectGroups: []string{"営業部員", "大部屋"}, MemberOf: []string{"営業部員", "大部屋"},
		Mail: []string{"kato.sakura@example.jp"}},
	{UID: "yoshida.hanako", DN: userDN("yoshida.hanako", dnDai2), OUPath: "本社/営業部/第二課",
		Groups: []string{"全社員", "営業部員"}, DirectGroups: []string{"営業部員"}, MemberOf: []string{"営業部員"},
		Mail: []string{"yoshida.hanako@example.jp"}},
	{UID: "yoshida.takumi", DN: userDN("yoshida.takumi", dnKaihatsu), OUPath: "本社/開発部",
		Groups:       []string{"プロジェクトX", "全社員", "大部屋", "開発部員"},
		DirectGroups: []string{"プロジェクトX", "大部屋", "開発部員"}, MemberOf: []string{"大部屋", "開発部員"},
		PosixGroups: []string{"developers"}, Mail: []string{"yoshida.takumi@example.jp"}},
	{UID: "yamada.mei", DN: userDN("yamada.mei", dnKaihatsu), OUPath: "本社/開発部",
		Groups: []string{"全社員", "大部屋", "開発部員"}, DirectGroups: []string{"大部屋", "開発部員"}, MemberOf: []string{"大部屋", "開発部員"},
		PosixGroups: []string{"developers"}, Mail: []string{"yamada.mei@example.jp"}},
	{UID: "sasaki.haruto", DN: userDN("sasaki.haruto", dnKaihatsu), OUPath: "本社/開発部",
		Groups: []string{"全社員", "大部屋", "開発部員"}, DirectGroups: []string{"大部屋", "開発部員"}, MemberOf: []string{"大部屋", "開発部員"},
		Mail: []string{"sasaki.haruto@example.jp"}},
	{UID: "yamaguchi.rin", DN: userDN("yamaguchi.rin", dnKaihatsu), OUPath: "本社/開発部",
		Groups: []string{"全社員", "大部屋", "開発部員"}, DirectGroups: []string{"大部屋", "開発部員"}, MemberOf: []string{"大部屋", "開発部員"},
		Mail: []string{"yamaguchi.rin@example.jp"}, NoEmployeeNumber: true},
	{UID: "matsumoto.yuto", DN: userDN("matsumoto.yuto", dnKiban), OUPath: "本社/開発部/基盤,運用",
		Groups: []string{"プロジェクトX", "全社員", "開発部員"}, DirectGroups: []string{"プロジェクトX", "開発部員"}, MemberOf: []string{"開発部員"},
		PosixGroups: []string{"developers"}, Mail: []string{"matsumoto.yuto@example.jp"}},
	{UID: "inoue.hina", DN: userDN("inoue.hina", dnKiban), OUPath: "本社/開発部/基盤,運用",
		Groups: []string{"全社員", "開発部員"}, DirectGroups: []string{"開発部員"}, MemberOf: []string{"開発部員"},
		Mail: []string{"inoue.hina@example.jp"}},
	{UID: "kimura.sota", DN: userDN("kimura.sota", dnKiban), OUPath: "本社/開発部/基盤,運用",
		Groups: []string{"全社員", "開発部員"}, DirectGroups: []string{"開発部員"}, MemberOf: []string{"開発部員"},
		Mail: []string{"kimura.sota@example.jp"}},
	{UID: "hayashi.kaito", DN: userDN("hayashi.kaito", dnTaishoku), OUPath: "本社/退職者",
		Groups: []string{"旧プロジェクト"}, DirectGroups: []string{"旧プロジェクト"}, MemberOf: []string{"旧プロジェクト"},
		Mail: []string{"hayashi.kaito@example.jp"}},
}

// BaseUserPassword is the userPassword of kimura.sota, the one fixture
// user that can bind.
const BaseUserPassword = "kimura-pass"

// BaseGroups are base.ldif's 10 groups, in file order.
var BaseGroups = []FixtureGroup{
	{CN: "営業第一課員", DN: groupDN("営業第一課員"), ObjectClass: "groupOfNames",
		DirectUsers: []string{"takahashi.kenta", "tanaka.yui", "watanabe.sho", "ito.misaki", "yamamoto.daiki", "shimizu.yuna"},
		Users:       []string{"takahashi.kenta", "tanaka.yui", "watanabe.sho", "ito.misaki", "yamamoto.daiki", "shimizu.yuna"}},
	{CN: "営業部員", DN: groupDN("営業部員"), ObjectClass: "groupOfNames",
		DirectUsers: []string{"suzuki.hanako", "nakamura.aoi", "kobayashi.ren", "kato.sakura", "yoshida.hanako"},
		Users: []string{"suzuki.hanako", "nakamura.aoi", "kobayashi.ren", "kato.sakura", "yoshida.hanako",
			"takahashi.kenta", "tanaka.yui", "watanabe.sho", "ito.misaki", "yamamoto.daiki", "shimizu.yuna"},
		SubGroups: []string{"営業第一課員"}},
	{CN: "開発部員", DN: groupDN("開発部員"), ObjectClass: "groupOfNames",
		DirectUsers: []string{"yoshida.takumi", "yamada.mei", "sasaki.haruto", "yamaguchi.rin", "matsumoto.yuto", "inoue.hina", "kimura.sota"},
		Users:       []string{"yoshida.takumi", "yamada.mei", "sasaki.haruto", "yamaguchi.rin", "matsumoto.yuto", "inoue.hina", "kimura.sota"}},
	{CN: "全社員", DN: groupDN("全社員"), ObjectClass: "groupOfNames",
		Users: []string{"suzuki.hanako", "nakamura.aoi", "kobayashi.ren", "kato.sakura", "yoshida.hanako",
			"takahashi.kenta", "tanaka.yui", "watanabe.sho", "ito.misaki", "yamamoto.daiki", "shimizu.yuna",
			"yoshida.takumi", "yamada.mei", "sasaki.haruto", "yamaguchi.rin", "matsumoto.yuto", "inoue.hina", "kimura.sota"},
		SubGroups: []string{"営業部員", "開発部員"}},
	{CN: "大部屋", DN: groupDN("大部屋"), ObjectClass: "groupOfNames",
		DirectUsers: []string{"takahashi.kenta", "tanaka.yui", "watanabe.sho", "ito.misaki", "yamamoto.daiki",
			"nakamura.aoi", "kobayashi.ren", "kato.sakura", "yoshida.takumi", "yamada.mei", "sasaki.haruto", "yamaguchi.rin"},
		Users: []string{"takahashi.kenta", "tanaka.yui", "watanabe.sho", "ito.misaki", "yamamoto.daiki",
			"nakamura.aoi", "kobayashi.ren", "kato.sakura", "yoshida.takumi", "yamada.mei", "sasaki.haruto", "yamaguchi.rin"}},
	{CN: "循環A", DN: groupDN("循環A"), ObjectClass: "groupOfNames",
		DirectUsers: []string{"sato.ichiro"}, Users: []string{"sato.ichiro", "suzuki.hanako"}, SubGroups: []string{"循環B"}},
	{CN: "循環B", DN: groupDN("循環B"), ObjectClass: "groupOfNames",
		DirectUsers: []string{"suzuki.hanako"}, Users: []string{"suzuki.hanako", "sato.ichiro"}, SubGroups: []string{"循環A"}},
	{CN: "旧プロジェクト", DN: groupDN("旧プロジェクト"), ObjectClass: "groupOfNames",
		DirectUsers: []string{"hayashi.kaito"}, Users: []string{"hayashi.kaito"}},
	{CN: "プロジェクトX", DN: groupDN("プロジェクトX"), ObjectClass: "groupOfUniqueNames",
		DirectUsers: []string{"takahashi.kenta", "yoshida.takumi", "matsumoto.yuto"},
		Users:       []string{"takahashi.kenta", "yoshida.takumi", "matsumoto.yuto"}},
	{CN: "developers", DN: groupDN("developers"), ObjectClass: "posixGroup",
		DirectUsers: []string{"yoshida.takumi", "yamada.mei", "matsumoto.yuto"},
		Users:       []string{"yoshida.takumi", "yamada.mei", "matsumoto.yuto"}},
}

// BaseOUs are base.ldif's OUs: DN and path below dc=example,dc=jp, in file
// order.
var BaseOUs = []struct{ DN, Path string }{
	{dnHonsha, "本社"},
	{dnEigyo, "本社/営業部"},
	{dnDai1, "本社/営業部/第一課"},
	{dnDai2, "本社/営業部/第二課"},
	{dnKaihatsu, "本社/開発部"},
	{dnKiban, "本社/開発部/基盤,運用"},
	{dnTaishoku, "本社/退職者"},
	{dnGroups, "グループ"},
}
