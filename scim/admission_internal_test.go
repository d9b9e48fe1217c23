package scim

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
	"go.uber.org/zap"
	"go.yaml.in/yaml/v3"

	"github.com/orgbridge/orgbridge/internal/config"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
)

// BenchmarkAdmissionCheck20k is the check alone, with 20,000 Users
// stored: each iteration stores one more User (not timed), then checks a
// new one, which brings the index up to date with that write (one
// store.SCIMChanged) before mapping the pushed User and looking up its
// login id and e-mail.
func BenchmarkAdmissionCheck20k(b *testing.B) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(b.TempDir(), "state.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	user := func(i int) store.SCIMResource {
		name := fmt.Sprintf("user%06d@example.jp", i)
		doc, _ := json.Marshal(map[string]any{
			"userName": name, "active": true, "displayName": fmt.Sprintf("社員 %d", i),
			"emails": []any{map[string]any{"value": name, "type": "work", "primary": true}},
		})
		return store.SCIMResource{Type: store.SCIMUser, ID: uuid.NewString(), Name: name, Doc: doc}
	}
	const stored = 20000
	for i := range stored {
		if _, err := st.SCIMCreate(ctx, user(i)); err != nil {
			b.Fatal(err)
		}
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "admission", "mapping.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	var cfg config.Mapping
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		b.Fatal(err)
	}
	rules, err := mapping.Compile(cfg, "jobs[0].mapping")
	if err != nil {
		b.Fatal(err)
	}
	ms := []Mapping{{Job: "scim-to-aircourse", Rules: rules, Config: cfg}}
	adm := newAdmission(st, func() []Mapping { return ms }, zap.NewNop())
	next := stored
	if err := adm.check(ctx, user(next), false); err != nil { // builds the index
		b.Fatal(err)
	}
	for b.Loop() {
		b.StopTimer()
		next++
		if _, err := st.SCIMCreate(ctx, user(next)); err != nil {
			b.Fatal(err)
		}
		next++
		b.StartTimer()
		if err := adm.check(ctx, user(next), false); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if n := len(adm.jobs["scim-to-aircourse"].users); n < stored {
		b.Fatalf("the index holds %d users, want at least %d", n, stored)
	}
}
