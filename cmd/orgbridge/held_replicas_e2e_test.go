package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/orgbridge/orgbridge/internal/store/pgtest"
)

// post makes an admin POST with a JSON body and returns the status and body.
func (r *replica) post(path, body string) (int, string) {
	r.t.Helper()
	req, err := http.NewRequest("POST", r.admin+path, bytes.NewReader([]byte(body)))
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// held lists the held plans a replica serves: run id → the keys of its
// changes by seq.
func (r *replica) held() map[int64][]string {
	req, _ := http.NewRequest("GET", r.admin+"/api/approvals", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var out struct {
		Pending []struct {
			RunID   int64 `json:"run_id"`
			Changes []struct {
				Seq int
				Key string
			} `json:"changes"`
		}
	}
	raw, _ := io.ReadAll(resp.Body)
	if json.Unmarshal(raw, &out) != nil {
		return nil
	}
	m := map[int64][]string{}
	for _, p := range out.Pending {
		for _, c := range p.Changes {
			m[p.RunID] = append(m[p.RunID], c.Key)
		}
	}
	return m
}

// A guard-refused plan held by the leader is listed by the standby (from
// the shared PostgreSQL), approved in part through the admin API with the
// changes' seqs, and still listed after the leader is killed.
func TestReplicasShareHeldPlans(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	c, emu := setup(t)
	cfg := daemonConfig(t, c)
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(data), "  driver: sqlite\n", "  driver: postgres\n  dsn: {env: ORGBRIDGE_PG_DSN}\n", 1)
	if err := os.WriteFile(cfg, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ORGBRIDGE_PG_DSN", dsn)
	if code, _, errs := c.run("sync", "-c", cfg); code != exitOK {
		t.Fatalf("first sync: exit %d\n%s", code, errs)
	}
	// Eight of eleven leave: every scheduled run is refused and held.
	c.write("demo/users.csv", "社員番号,氏名,メールアドレス,所属,役職,役割,在籍区分,グループ\n"+
		"1001,山田 太郎,taro.yamada@example.co.jp,本社,代表取締役,管理者,在籍,\n"+
		"1002,佐藤 花子,hanako.sato@example.co.jp,本社/営業部,部長,管理者,在籍,\n")
	bin := filepath.Join(t.TempDir(), "orgbridge")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	a := startReplica(t, bin, cfg)
	waitFor(t, "replica a leads", a.leader)
	b := startReplica(t, bin, cfg)
	waitFor(t, "the standby lists the leader's held plan", func() bool { return len(b.held()) == 1 })
	if b.leader() {
		t.Fatal("both replicas lead")
	}
	var run int64
	var keys []string
	for id, k := range b.held() {
		run, keys = id, k
	}
	if len(keys) != 10 || keys[0] != "1003" || keys[1] != "1004" {
		t.Fatalf("held plan of run %d: %v", run, keys)
	}
	path := "/api/approvals/" + jsonInt(run) + "/approve"
	if code, body := b.post(path, `{"seqs": [1, 2]}`); code != http.StatusServiceUnavailable {
		t.Errorf("approve on the standby: %d %s, want 503", code, body)
	}
	// The leader may be re-planning the job (every 2s): busy is retried.
	waitFor(t, "the leader takes the approval", func() bool {
		code, body := a.post(path, `{"seqs": [1, 2]}`)
		if code != http.StatusOK && code != http.StatusConflict && code != http.StatusNotFound {
			t.Fatalf("approve on the leader: %d %s", code, body)
		}
		if code == http.StatusNotFound { // a newer refusal replaced it
			for id := range a.held() {
				path = "/api/approvals/" + jsonInt(id) + "/approve"
			}
		}
		return code == http.StatusOK
	})
	suspended := func() string {
		var out []string
		for _, u := range emu.State().Users {
			if u.IsSuspended && *u.LoginID != "e1009" {
				out = append(out, *u.LoginID)
			}
		}
		return strings.Join(sorted(out), ",")
	}
	waitFor(t, "seqs 1 and 2 applied", func() bool { return suspended() == "e1003,e1004" })

	// The leader is killed; the survivor leads and lists what is held.
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = a.cmd.Wait()
	waitFor(t, "replica b takes over", b.leader)
	waitFor(t, "the survivor lists a held plan of the other six", func() bool {
		for _, k := range b.held() {
			if len(k) == 8 && k[0] == "1005" {
				return true
			}
		}
		return false
	})
	if got := suspended(); got != "e1003,e1004" {
		t.Errorf("suspended = %s: only the approved changes may land", got)
	}
}

func jsonInt(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
