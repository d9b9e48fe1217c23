package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/configs"
	"github.com/orgbridge/orgbridge/connectors/aircourse/emulator"
	"github.com/orgbridge/orgbridge/internal/emukit"
)

// The benchmarks below run `orgbridge sync` through the real CLI code path
// (config load, CSV source, mapping, plan, guard, SQLite store, AirCourse
// client and adapter) against an in-process emulator without a rate limit,
// so that they measure orgbridge and not the document's 60 requests a
// minute. scripts/scale.sh does the same with the built binary and a
// separate emulator process.
//
//	go test -run '^$' -bench Sync -benchtime 3x ./cmd/orgbridge/
//	ORGBRIDGE_BENCH_USERS=10000 go test -run '^$' -bench Sync -benchtime 1x ./cmd/orgbridge/

// defaultBenchUsers is the export size unless ORGBRIDGE_BENCH_USERS says
// otherwise.
const defaultBenchUsers = 2000

func benchUsers(b *testing.B) int {
	b.Helper()
	v := os.Getenv("ORGBRIDGE_BENCH_USERS")
	if v == "" {
		return defaultBenchUsers
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("ORGBRIDGE_BENCH_USERS=%q is not a positive integer", v)
	}
	return n
}

// demoOrgPaths returns the org paths of the demo's orgs file, in file order.
func demoOrgPaths(b *testing.B) []string {
	b.Helper()
	data, err := configs.Files.ReadFile("demo/orgs.csv")
	if err != nil {
		b.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff")))).ReadAll()
	if err != nil {
		b.Fatal(err)
	}
	var paths []string
	for _, row := range rows[1:] { // the header is 組織パス,組織コード,説明
		paths = append(paths, row[0])
	}
	if len(paths) == 0 {
		b.Fatal("demo/orgs.csv has no org")
	}
	return paths
}

// benchExport renders an n-user HR export (UTF-8, no BOM) in the demo's
// column layout. User i is in orgs[i%len(orgs)]; every 25th is a manager
// (管理者, so an admin of its org), every 100th is on leave (休職, so
// suspended), every 10th is in 新人研修 and every 20th in 安全衛生委員会.
// Nobody has left, so every row is in scope.
func benchExport(n int, orgs []string) []byte {
	var buf bytes.Buffer
	buf.WriteString("社員番号,氏名,メールアドレス,所属,役職,役割,在籍区分,グループ\n")
	for i := range n {
		id := 100001 + i
		position, role := "", "一般"
		if i%25 == 0 {
			position, role = "課長", "管理者"
		}
		status := "在籍"
		if i%100 == 99 {
			status = "休職"
		}
		var groups []string
		if i%10 == 3 {
			groups = append(groups, "新人研修")
		}
		if i%20 == 7 {
			groups = append(groups, "安全衛生委員会")
		}
		fmt.Fprintf(&buf, "%d,社員 %d,user%d@example.co.jp,%s,%s,%s,%s,%s\n",
			id, id, id, orgs[i%len(orgs)], position, role, status, strings.Join(groups, ";"))
	}
	return buf.Bytes()
}

// benchEnv is one working directory (demo config, orgs file, the generated
// export, a fresh SQLite store) pointed at one fresh emulator.
type benchEnv struct {
	cfg string
	emu *emulator.Server
	srv *httptest.Server
}

func newBenchEnv(b *testing.B, export []byte) benchEnv {
	b.Helper()
	dir := b.TempDir()
	if err := writeDemoFiles(dir); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "demo", "users.csv"), export, 0o644); err != nil {
		b.Fatal(err)
	}
	emu := emulator.New(emulator.Options{Options: emukit.Options{RateLimit: -1}})
	emu.AddClient(demoClientID, demoClientSecret)
	srv := httptest.NewServer(emu)
	cfg := filepath.Join(dir, "demo.yaml")
	data, err := os.ReadFile(cfg)
	if err != nil {
		b.Fatal(err)
	}
	data = bytes.Replace(data, []byte("http://127.0.0.1:8081"), []byte(srv.URL), 1)
	if err := os.WriteFile(cfg, data, 0o644); err != nil {
		b.Fatal(err)
	}
	return benchEnv{cfg: cfg, emu: emu, srv: srv}
}

// sync runs `orgbridge sync -c cfg --log-level error` in process. The plan
// and progress go nowhere; stderr is kept only to explain a failure.
func (e benchEnv) sync(b *testing.B, stderr *bytes.Buffer) {
	stderr.Reset()
	if code := run(b.Context(), []string{"sync", "-c", e.cfg, "--log-level", "error"}, io.Discard, stderr); code != exitOK {
		b.Fatalf("sync: exit %d\n%s", code, stderr.String())
	}
}

// BenchmarkSyncInitial times a first sync of an n-user export into an empty
// AirCourse: every org, user, group and membership is created. Each
// iteration gets a fresh emulator and store, set up outside the timer.
func BenchmarkSyncInitial(b *testing.B) {
	n := benchUsers(b)
	export := benchExport(n, demoOrgPaths(b))
	b.Setenv(demoSecretEnv, demoClientSecret)
	var stderr bytes.Buffer
	var requests, writes int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		env := newBenchEnv(b, export)
		b.StartTimer()

		env.sync(b, &stderr)

		b.StopTimer()
		if got := len(env.emu.State().Users); got != n {
			b.Fatalf("after the first sync the emulator holds %d users, want %d", got, n)
		}
		st := env.emu.Stats()
		requests += st.Requests
		writes += st.Writes
		env.srv.Close()
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "users/s")
	b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
	b.ReportMetric(float64(writes)/float64(b.N), "writes/op")
}

// BenchmarkSyncNoChange times a re-sync of an n-user export that the target
// already holds: both sides are read and compared, and nothing may be
// written.
func BenchmarkSyncNoChange(b *testing.B) {
	n := benchUsers(b)
	env := newBenchEnv(b, benchExport(n, demoOrgPaths(b)))
	defer env.srv.Close()
	b.Setenv(demoSecretEnv, demoClientSecret)
	var stderr bytes.Buffer
	env.sync(b, &stderr) // the first sync, not timed
	if got := len(env.emu.State().Users); got != n {
		b.Fatalf("after the first sync the emulator holds %d users, want %d", got, n)
	}
	env.emu.ResetStats()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		env.sync(b, &stderr)
		if w := env.emu.Stats().Writes; w != 0 {
			b.Fatalf("no-change sync %d made %d write calls; want 0", i+1, w)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "users/s")
	b.ReportMetric(float64(env.emu.Stats().Requests)/float64(b.N), "requests/op")
}
