package scim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/internal/store"
)

func TestKeyedLock(t *testing.T) {
	var k keyedLock
	const keys, workers, rounds = 4, 32, 200
	counts := make([]int, keys) // guarded by the key's lock only
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				key := (w + i) % keys
				unlock, err := k.lock(context.Background(), string(rune('a'+key)))
				if err != nil {
					t.Error(err)
					return
				}
				n := counts[key]
				if i%7 == 0 {
					time.Sleep(time.Microsecond) // let another goroutine in, if the lock would
				}
				counts[key] = n + 1
				unlock()
			}
		})
	}
	wg.Wait()
	total := 0
	for _, c := range counts {
		total += c
	}
	if total != workers*rounds {
		t.Errorf("%d increments counted, want %d", total, workers*rounds)
	}
	if n := k.size(); n != 0 {
		t.Errorf("%d locks kept after use, want 0", n)
	}
}

func TestKeyedLockContext(t *testing.T) {
	var k keyedLock
	unlock, err := k.lock(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := k.lock(ctx, "x")
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("waiter cancelled: %v, want context.Canceled", err)
	}
	if n := k.size(); n != 1 {
		t.Errorf("%d locks while one is held, want 1", n)
	}
	unlock()
	if n := k.size(); n != 0 {
		t.Errorf("%d locks after release, want 0", n)
	}
}

// staleStore is a store whose updates always lose the race, as if another
// replica wrote first every time.
type staleStore struct {
	store.Store
}

func (staleStore) SCIMUpdate(context.Context, store.SCIMResource, int64, []string) (store.SCIMResource, error) {
	return store.SCIMResource{}, store.ErrStale
}

// TestStaleBeyondDeadline: a write that keeps losing to other replicas
// until the request's deadline is a 503 with Retry-After, which IdPs
// retry, not a 500; so is one that waits for this process's lock on the
// resource beyond the deadline.
func TestStaleBeyondDeadline(t *testing.T) {
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	const tok = "test-token"
	srv, err := New(Options{Store: staleStore{st}, Tokens: []string{tok}})
	if err != nil {
		t.Fatal(err)
	}
	serve := func(method, path, body string, ctx context.Context) *httptest.ResponseRecorder {
		req := httptest.NewRequestWithContext(ctx, method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec
	}
	rec := serve(http.MethodPost, BasePath+"/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"g"}`, context.Background())
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST: %d %s", rec.Code, rec.Body)
	}
	var created map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &created); err != nil {
		t.Fatal(err)
	}
	id, _ := created["id"].(string)
	patch := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"u1"}]}]}`

	check := func(name string, rec *httptest.ResponseRecorder) {
		t.Helper()
		if rec.Code != http.StatusServiceUnavailable {
			t.Errorf("%s: status %d, want 503; body %s", name, rec.Code, rec.Body)
		}
		if got := rec.Header().Get("Retry-After"); got != retryAfter {
			t.Errorf("%s: Retry-After %q, want %q", name, got, retryAfter)
		}
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body["status"] != "503" {
			t.Errorf("%s: body %s, want a SCIM error with status 503", name, rec.Body)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	check("stale until the deadline", serve(http.MethodPatch, BasePath+"/Groups/"+id, patch, ctx))

	unlock, err := srv.locks.lock(context.Background(), TypeGroup+"/"+id)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	check("locked until the deadline", serve(http.MethodPatch, BasePath+"/Groups/"+id, patch, ctx2))
}
