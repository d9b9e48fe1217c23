package scim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
	"github.com/orgbridge/orgbridge/scim"
)

// BenchmarkAdmission20k: what the admission check adds to a push with
// 20,000 Users stored, under the mapping of configs/scim.yaml. Each
// iteration is one POST of a new User through the handler; "off" is the
// endpoint without Mappings, "on" with them, so the difference is the
// check: bringing the index up to date with the previous push (one
// store.SCIMChanged), mapping the pushed User and two lookups. The first
// push of "on" builds the index from the 20,000 stored Users; its time is
// reported as first-push-ms.
func BenchmarkAdmission20k(b *testing.B) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(b.TempDir(), "state.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	const stored = 20000
	for i := range stored {
		doc, _ := json.Marshal(map[string]any{
			"userName": fmt.Sprintf("user%06d@example.jp", i), "active": true, "displayName": fmt.Sprintf("社員 %d", i),
			"name":   map[string]any{"givenName": "太郎", "familyName": "社員"},
			"emails": []any{map[string]any{"value": fmt.Sprintf("user%06d@example.jp", i), "type": "work", "primary": true}},
		})
		if _, err := st.SCIMCreate(ctx, store.SCIMResource{Type: store.SCIMUser, ID: uuid.NewString(), ExternalID: fmt.Sprint("ext-", i),
			Name: fmt.Sprintf("user%06d@example.jp", i), Doc: doc}); err != nil {
			b.Fatal(err)
		}
	}
	next := stored
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("admission=%v", on), func(b *testing.B) {
			o := scim.Options{Store: st, Tokens: []string{token}}
			if on {
				ms := []scim.Mapping{jobMapping(b, "mapping.yaml", mapping.KindGroup)}
				cur := &atomic.Pointer[[]scim.Mapping]{}
				cur.Store(&ms)
				o.Mappings = func() []scim.Mapping { return *cur.Load() }
			}
			h, err := scim.New(o)
			if err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			serve(b, h, "POST", "/scim/v2/Users", benchUser(next), http.StatusCreated)
			next++
			first := time.Since(start)
			for b.Loop() {
				serve(b, h, "POST", "/scim/v2/Users", benchUser(next), http.StatusCreated)
				next++
			}
			b.ReportMetric(float64(first.Microseconds())/1000, "first-push-ms")
		})
	}
}
