package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/internal/store/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// replica is one `orgbridge serve` process.
type replica struct {
	t     *testing.T
	cmd   *exec.Cmd
	admin string
}

// startReplica runs the built binary and waits for its admin listener.
func startReplica(t *testing.T, bin, cfg string) *replica {
	t.Helper()
	cmd := exec.Command(bin, "serve", "-c", cfg, "--log-format", "json")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &replica{t: t, cmd: cmd}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			var line struct {
				Msg, Listener, URL string
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" && line.Listener == "admin" && !sent {
				addr <- line.URL
				sent = true
			}
		}
		if !sent {
			close(addr)
		}
	}()
	select {
	case u, ok := <-addr:
		if !ok {
			t.Fatal("the replica exited before listening")
		}
		r.admin = u
	case <-time.After(60 * time.Second):
		t.Fatal("the replica did not listen within a minute")
	}
	return r
}

func (r *replica) leader() bool {
	req, _ := http.NewRequest("GET", r.admin+"/api/jobs", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var out struct{ Leader bool }
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &out)
	return out.Leader
}

// Two replicas on one PostgreSQL: one runs the scheduled job, never both
// at once; when the leader is killed (SIGKILL), the other takes over.
func TestReplicasShareOnePostgres(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	c, _ := setup(t)
	cfg := daemonConfig(t, c)
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(data), "  driver: sqlite\n", "  driver: postgres\n  dsn: {env: ORGBRIDGE_PG_DSN}\n", 1)
	s = strings.Replace(s, "@every 2s", "@every 1s", 1)
	if err := os.WriteFile(cfg, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ORGBRIDGE_PG_DSN", dsn)
	bin := filepath.Join(t.TempDir(), "orgbridge")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}

	a := startReplica(t, bin, cfg)
	waitFor(t, "replica a leads", a.leader)
	b := startReplica(t, bin, cfg)
	st, err := store.OpenPostgres(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs := func() []store.Run {
		r, err := st.Runs(context.Background(), "hr-to-aircourse", 0)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	waitFor(t, "three runs by the leader", func() bool { return len(runs()) >= 3 })
	if b.leader() {
		t.Fatalf("both replicas lead")
	}

	killed := time.Now()
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = a.cmd.Wait()
	waitFor(t, "replica b takes over", b.leader)
	t.Logf("replica b leads %v after the leader was killed", time.Since(killed).Round(100*time.Millisecond))
	waitFor(t, "runs by the new leader", func() bool {
		for _, r := range runs() {
			if r.StartedAt.After(killed) && r.Status == store.RunSucceeded {
				return true
			}
		}
		return false
	})

	// No two runs of the job overlap in time.
	all := runs()
	for i := range all {
		for j := i + 1; j < len(all); j++ {
			x, y := all[i], all[j]
			xEnd, yEnd := x.FinishedAt, y.FinishedAt
			if xEnd.IsZero() {
				xEnd = time.Now()
			}
			if yEnd.IsZero() {
				yEnd = time.Now()
			}
			if x.StartedAt.Before(yEnd) && y.StartedAt.Before(xEnd) {
				t.Errorf("runs %d (%s, %v–%v) and %d (%s, %v–%v) overlap", x.ID, x.Status, x.StartedAt, x.FinishedAt, y.ID, y.Status, y.StartedAt, y.FinishedAt)
			}
		}
	}
	t.Logf("%d runs, none overlapping", len(all))

	// SIGTERM: the survivor stops cleanly, leaving no run marked running.
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := b.cmd.Wait(); err != nil {
		t.Errorf("after SIGTERM the replica exited with %v", err)
	}
	for _, r := range runs() {
		if r.Status == store.RunRunning && r.StartedAt.After(killed) {
			t.Errorf("run %d is still marked running after a clean stop", r.ID)
		}
	}
}
