package scim_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/internal/store/pgtest"
	"github.com/orgbridge/orgbridge/scim"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestConcurrentPatchLargeGroup is issue 19's case: 16 identity-provider
// workers PATCHing adds of distinct members into one group that already
// has 5,000 members, through one endpoint on SQLite. Every request
// succeeds and the group ends with every member exactly once. (The
// duration is logged, never asserted.)
func TestConcurrentPatchLargeGroup(t *testing.T) {
	concurrentPatchLargeGroup(t, newEnv(t))
}

// TestConcurrentPatchLargeGroupReplicas is the same with the workers
// spread over two endpoints on one SQLite file, as two replicas: their
// locks are apart, so they race on the stored version and retry.
func TestConcurrentPatchLargeGroupReplicas(t *testing.T) {
	log, retries := retryLog()
	a := newEnv(t, log)
	concurrentPatchLargeGroup(t, a, serveEnv(t, a.store, log))
	t.Logf("%d retries on a stale version", retries.FilterMessageSnippet("stale version").Len())
}

// retryLog is a debug-level logger option, and what it logged.
func retryLog() (envOption, *observer.ObservedLogs) {
	core, logs := observer.New(zapcore.DebugLevel)
	return func(o *scim.Options) { o.Logger = zap.New(core) }, logs
}

// TestConcurrentPatchLargeGroupPostgres is the same with two replicas,
// each with its own pool, on one PostgreSQL database.
func TestConcurrentPatchLargeGroupPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("a 5,000-member group")
	}
	dsn := pgtest.NewDatabase(t)
	log, retries := retryLog()
	var envs []*env
	for range 2 {
		st, err := store.OpenPostgres(context.Background(), dsn, nil)
		if err != nil {
			t.Fatalf("OpenPostgres: %v", err)
		}
		t.Cleanup(func() { _ = st.Close() })
		envs = append(envs, serveEnv(t, st, log))
	}
	concurrentPatchLargeGroup(t, envs...)
	t.Logf("%d retries on a stale version", retries.FilterMessageSnippet("stale version").Len())
}

// concurrentPatchLargeGroup runs the 16 workers, worker w sending to
// replicas[w % len(replicas)].
func concurrentPatchLargeGroup(t *testing.T, replicas ...*env) {
	const existing, workers, perWorker = 5000, 16, 8
	if testing.Short() {
		t.Skip("a 5,000-member group")
	}
	pre := make([]string, existing)
	for i := range pre {
		pre[i] = fmt.Sprintf("pre-%05d", i)
	}
	e := replicas[0]
	gid := str(e.createGroup(t, "large", pre...), "id")
	gpath := "/scim/v2/Groups/" + gid

	var wg sync.WaitGroup
	statuses := make([][]int, workers)
	start := make(chan struct{})
	for w := range workers {
		statuses[w] = make([]int, perWorker)
		r := replicas[w%len(replicas)]
		wg.Go(func() {
			<-start
			for i := range perWorker {
				body := patchBody(t, map[string]any{"op": "add", "path": "members",
					"value": []any{map[string]any{"value": fmt.Sprintf("new-%02d-%02d", w, i)}}})
				statuses[w][i] = r.send(http.MethodPatch, gpath, body)
			}
		})
	}
	began := time.Now()
	close(start)
	wg.Wait()
	t.Logf("%d×%d PATCHes on a %d-member group through %d endpoint(s): %v", workers, perWorker, existing, len(replicas), time.Since(began))
	for w := range statuses {
		for i, s := range statuses[w] {
			if s != http.StatusNoContent {
				t.Errorf("worker %d PATCH %d: status %d", w, i, s)
			}
		}
	}
	_, got := e.must(t, http.StatusOK, http.MethodGet, gpath, "")
	count := map[string]int{}
	members, _ := get(got, "members").([]any)
	for _, m := range members {
		v, _ := m.(map[string]any)["value"].(string)
		count[v]++
	}
	want := append([]string(nil), pre...)
	for w := range workers {
		for i := range perWorker {
			want = append(want, fmt.Sprintf("new-%02d-%02d", w, i))
		}
	}
	if len(members) != len(want) || len(count) != len(want) {
		t.Errorf("%d members (%d distinct), want %d", len(members), len(count), len(want))
	}
	for _, v := range want {
		if count[v] != 1 {
			t.Errorf("member %s present %d times, want once", v, count[v])
		}
	}
	if v := str(got, "meta", "version"); v != fmt.Sprintf(`W/"%d"`, workers*perWorker+1) {
		t.Errorf("version %s, want %d", v, workers*perWorker+1)
	}
}

// TestConcurrentPutPatchUser mixes PUTs and PATCHes on one user, through
// two endpoints on one store: every request succeeds, and each is applied
// to the version the one before it wrote (the final version counts them
// all).
func TestConcurrentPutPatchUser(t *testing.T) {
	a := newEnv(t)
	replicas := []*env{a, serveEnv(t, a.store)}
	id := str(a.createUser(t, "mix@example.com", nil), "id")
	upath := "/scim/v2/Users/" + id
	const workers, perWorker = 16, 6
	var wg sync.WaitGroup
	statuses := make([][]int, workers)
	start := make(chan struct{})
	for w := range workers {
		statuses[w] = make([]int, perWorker)
		r := replicas[w%len(replicas)]
		wg.Go(func() {
			<-start
			for i := range perWorker {
				v := fmt.Sprintf("w%02d-%02d", w, i)
				if (w+i)%2 == 0 {
					statuses[w][i] = r.send(http.MethodPut, upath, userBody(t, "mix@example.com", map[string]any{"title": v}))
				} else {
					statuses[w][i] = r.send(http.MethodPatch, upath, patchBody(t, map[string]any{"op": "replace", "path": "nickName", "value": v}))
				}
			}
		})
	}
	close(start)
	wg.Wait()
	for w := range statuses {
		for i, s := range statuses[w] {
			if want := map[bool]int{true: http.StatusOK, false: http.StatusNoContent}[(w+i)%2 == 0]; s != want {
				t.Errorf("worker %d request %d: status %d, want %d", w, i, s, want)
			}
		}
	}
	_, got := a.must(t, http.StatusOK, http.MethodGet, upath, "")
	if v := str(got, "meta", "version"); v != fmt.Sprintf(`W/"%d"`, workers*perWorker+1) {
		t.Errorf("version %s, want %d", v, workers*perWorker+1)
	}
	if str(got, "userName") != "mix@example.com" {
		t.Errorf("userName %q", str(got, "userName"))
	}
}
