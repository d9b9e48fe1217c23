package ldaptest

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/orgbridge/orgbridge/internal/gen"
)

// GenOptions shapes the directory WriteUsers generates.
type GenOptions struct {
	// BaseDN is where the tree goes; default DefaultSuffix. It must exist
	// (a Server creates its suffix).
	BaseDN string
	// TopOU is the name of the OU holding everything generated; default
	// "社員" (so ou=社員,BaseDN). It does not clash with base.ldif's
	// ou=本社, so both can be loaded into one server.
	TopOU string
	// Depts and Sections give the OU tree below TopOU: Depts department
	// OUs (default 4), each with Sections section OUs (default 3). Users
	// are dealt round-robin to the sections.
	Depts, Sections int
	// First is the number of the first user (default 1): user i has uid
	// "user" + i in seven digits, employeeNumber i in seven digits.
	First int
	// UsersOnly leaves out the OU entries (to add more users to a tree an
	// earlier call wrote).
	UsersOnly bool
}

var (
	genSurnames = []string{"佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤",
		"吉田", "山田", "佐々木", "山口", "松本", "井上", "木村", "林", "斎藤", "清水", "𠮷田", "髙橋"}
	genGiven = []string{"太郎", "花子", "健太", "結衣", "翔", "美咲", "大輝", "葵", "蓮", "さくら",
		"拓海", "芽依", "陽翔", "凛", "悠斗", "陽菜", "蒼太", "海斗", "優奈", "湊", "ひなた", "ユウキ"}
	genDepts   = []string{"営業部", "開発部", "管理部", "製造部", "人事部", "経理部", "品質保証部", "広報部"}
	genNumbers = []string{"一", "二", "三", "四", "五", "六", "七", "八", "九", "十"}
)

func deptName(i int) string { // i from 0
	if i < len(genDepts) {
		return genDepts[i]
	}
	return fmt.Sprintf("部門%02d", i+1)
}

func sectionName(i int) string { // i from 0
	if i < len(genNumbers) {
		return "第" + genNumbers[i] + "課"
	}
	return fmt.Sprintf("第%d課", i+1)
}

// WriteUsers writes to path an LDIF of n inetOrgPerson users (uid, cn, sn,
// givenName, displayName, mail, employeeNumber, departmentNumber; Japanese
// names, some outside the BMP) in an OU tree ou=<TopOU> → ou=<dept> →
// ou=<section>, parents before children, ready for slapadd
// (Options.Preload) or ldapadd (Options.LDIF). The output is the same for
// the same arguments.
func WriteUsers(path string, n int, opts GenOptions) (err error) {
	if n < 0 {
		return errors.New("ldaptest.WriteUsers: negative n")
	}
	if opts.BaseDN == "" {
		opts.BaseDN = DefaultSuffix
	}
	if opts.TopOU == "" {
		opts.TopOU = "社員"
	}
	if opts.Depts <= 0 {
		opts.Depts = 4
	}
	if opts.Sections <= 0 {
		opts.Sections = 3
	}
	if opts.First <= 0 {
		opts.First = 1
	}
	return writeLDIFFile(path, func(w *gen.LDIFWriter) {
		writeUsers(w, n, opts)
	})
}

// writeUsers is WriteUsers' LDIF, its options defaulted.
func writeUsers(w *gen.LDIFWriter, n int, opts GenOptions) {
	top := "ou=" + ldap.EscapeDN(opts.TopOU) + "," + opts.BaseDN
	leaves := make([]string, 0, opts.Depts*opts.Sections)
	leafDept := make([]string, 0, cap(leaves))
	if !opts.UsersOnly {
		w.Entry(top, [2]string{"objectClass", "organizationalUnit"}, [2]string{"ou", opts.TopOU})
	}
	for d := 0; d < opts.Depts; d++ {
		dn := "ou=" + ldap.EscapeDN(deptName(d)) + "," + top
		if !opts.UsersOnly {
			w.Entry(dn, [2]string{"objectClass", "organizationalUnit"}, [2]string{"ou", deptName(d)},
				[2]string{"description", opts.TopOU + "/" + deptName(d)})
		}
		for s := 0; s < opts.Sections; s++ {
			leaf := "ou=" + ldap.EscapeDN(sectionName(s)) + "," + dn
			if !opts.UsersOnly {
				w.Entry(leaf, [2]string{"objectClass", "organizationalUnit"}, [2]string{"ou", sectionName(s)})
			}
			leaves = append(leaves, leaf)
			leafDept = append(leafDept, fmt.Sprintf("%02d%02d", d+1, s+1))
		}
	}
	for i := opts.First; i < opts.First+n; i++ {
		num := fmt.Sprintf("%07d", i)
		uid := "user" + num
		sn := genSurnames[i%len(genSurnames)]
		given := genGiven[(i/len(genSurnames))%len(genGiven)]
		leaf := (i - opts.First) % len(leaves)
		w.Entry("uid="+uid+","+leaves[leaf],
			[2]string{"objectClass", "inetOrgPerson"},
			[2]string{"uid", uid},
			[2]string{"cn", sn + " " + given},
			[2]string{"sn", sn},
			[2]string{"givenName", given},
			[2]string{"displayName", sn + given + "（" + strconv.Itoa(i) + "）"},
			[2]string{"mail", uid + "@example.jp"},
			[2]string{"employeeNumber", num},
			[2]string{"departmentNumber", leafDept[leaf]},
		)
		if w.Err() != nil {
			return
		}
	}
}

// WriteLDIF writes entries as LDIF content records: a convenience for tests
// that build small fixtures in code. Each entry is a DN and its attribute
// values in order.
func WriteLDIF(path string, entries ...LDIFEntry) (err error) {
	return writeLDIFFile(path, func(w *gen.LDIFWriter) {
		for _, e := range entries {
			w.Entry(e.DN, e.Attrs...)
		}
	})
}

// writeLDIFFile creates path and writes its LDIF through write; the first
// error of the create, the writes or the close is returned.
func writeLDIFFile(path string, write func(w *gen.LDIFWriter)) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w := gen.NewLDIFWriter(f, 64<<10)
	write(w)
	return w.Flush()
}

// LDIFEntry is one entry for WriteLDIF: Attrs are name/value pairs, a
// name repeated for each value.
type LDIFEntry struct {
	DN    string
	Attrs [][2]string
}

// String renders the entry as an LDIF content record, e.g. for Modify.
func (e LDIFEntry) String() string {
	var b strings.Builder
	w := gen.NewLDIFWriter(&b, 0)
	w.Entry(e.DN, e.Attrs...)
	_ = w.Flush()
	return b.String()
}
