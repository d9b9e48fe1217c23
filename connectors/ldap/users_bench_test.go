package ldap

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/cputime"
)

// BenchmarkUsers times the users search of a full read without a server:
// the source's requests are answered from pages encoded beforehand (the
// users of ldaptest.WriteUsers, with entryUUID and modifyTimestamp, as
// slapd returns them), so that the figures are the source's own CPU and
// allocations: decoding, building the records and putting them in order.
// It reads ORGBRIDGE_LDAP_BENCH_USERS users (default 10000). Unlike
// BenchmarkRead, its figures do not depend on the machine's load or on
// slapd.
func BenchmarkUsers(b *testing.B) {
	n := 10000
	if v := os.Getenv("ORGBRIDGE_LDAP_BENCH_USERS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("ORGBRIDGE_LDAP_BENCH_USERS=%q is not a positive number", v)
		}
	}
	pages := benchPages(n, DefaultPageSize)
	pw := filepath.Join(b.TempDir(), "bind.pw")
	if err := os.WriteFile(pw, []byte("secret"), 0o600); err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		groups *Search
	}{
		{"plain", nil},
		// With groups, each user's canonical DN and uid are kept for the
		// memberships (no group is read here).
		{"groups", &Search{BaseDN: "dc=example,dc=jp"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			src, err := New(Config{
				URL: "ldap://127.0.0.1:389", AllowPlain: true,
				BindDN: "cn=admin,dc=example,dc=jp", BindPassword: config.Secret{File: pw},
				PageSize:   DefaultPageSize,
				Users:      Search{BaseDN: "dc=example,dc=jp", Filter: "(objectClass=inetOrgPerson)"},
				Groups:     tc.groups,
				Orgs:       &Orgs{From: "ou"},
				Attributes: []string{"uid", "cn", "sn", "givenName", "displayName", "mail", "employeeNumber", "departmentNumber"},
			}, nil)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			cpu0 := cputime.Process()
			for b.Loop() {
				conn := &pageConn{pages: pages}
				sess := &session{src: src, shared: newSharedConn(conn), log: zap.NewNop()}
				r := src.newReader(sess, nil)
				if err := r.readUsers(ctx); err != nil {
					b.Fatal(err)
				}
				res, err := r.assemble()
				if err != nil {
					b.Fatal(err)
				}
				if res.users != n {
					b.Fatalf("%d users, want %d", res.users, n)
				}
			}
			per := float64(b.N) * float64(n)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/per, "ns/entry")
			if cpu := cputime.Process() - cpu0; cpu0 > 0 {
				// All goroutines' CPU (the reader's, the builder's, the
				// GC's) per entry.
				b.ReportMetric(float64(cpu.Nanoseconds())/per, "cpu-ns/entry")
			}
			runtime.ReadMemStats(&ms1)
			b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/per, "allocs/entry")
			b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/per, "B/entry")
		})
	}
}

// benchPages encodes the answers to the n/size page requests of a users
// search: the entries of each page, then its SearchResultDone with the
// paging cookie of the next page ("" on the last). Message IDs are those
// of a new session's requests.
func benchPages(n, size int) [][]byte {
	var pages [][]byte
	var page []byte
	ou := []string{"第一課", "第二課", "第三課"}
	dept := []string{"営業部", "開発部", "管理部", "製造部"}
	id := int64(firstFastID + 1)
	for i := 1; i <= n; i++ {
		num := fmt.Sprintf("%07d", i)
		uid := "user" + num
		leaf := (i - 1) % 12
		dn := "uid=" + uid + ",ou=" + ou[leaf%3] + ",ou=" + dept[leaf/3] + ",ou=社員,dc=example,dc=jp"
		page = append(page, entryMessage(id, dn,
			[]string{"uid", uid},
			[]string{"cn", "佐藤 太郎"},
			[]string{"sn", "佐藤"},
			[]string{"givenName", "太郎"},
			[]string{"displayName", "佐藤太郎（" + strconv.Itoa(i) + "）"},
			[]string{"mail", uid + "@example.jp"},
			[]string{"employeeNumber", num},
			[]string{"departmentNumber", fmt.Sprintf("%02d%02d", leaf/3+1, leaf%3+1)},
			[]string{"entryUUID", fmt.Sprintf("%08x-1c2d-103f-8f3a-%012x", uint32(i)*2654435761, i)},
			[]string{"modifyTimestamp", "20250401093000Z"},
		)...)
		if i%size == 0 || i == n {
			var cookie []byte
			if i < n {
				cookie = []byte(strconv.Itoa(i))
			} else {
				cookie = []byte{}
			}
			pages = append(pages, append(page, doneMessage(id, 0, "", cookie)...))
			page = nil
			id++
		}
	}
	return pages
}

// pageConn answers each request written with the next of its pages.
type pageConn struct {
	net.Conn // nil: only what the users search calls is implemented
	pages    [][]byte
	next     int
	out      []byte
}

func (c *pageConn) Write(p []byte) (int, error) {
	if c.next == len(c.pages) {
		return 0, io.ErrClosedPipe
	}
	c.out = c.pages[c.next]
	c.next++
	return len(p), nil
}

func (c *pageConn) Read(p []byte) (int, error) {
	if len(c.out) == 0 {
		return 0, io.EOF
	}
	k := copy(p, c.out)
	c.out = c.out[k:]
	return k, nil
}

func (c *pageConn) Close() error                     { return nil }
func (c *pageConn) SetDeadline(time.Time) error      { return nil }
func (c *pageConn) SetReadDeadline(time.Time) error  { return nil }
func (c *pageConn) SetWriteDeadline(time.Time) error { return nil }
