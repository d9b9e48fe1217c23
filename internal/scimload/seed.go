package scimload

import (
	"context"
	"fmt"

	"github.com/orgbridge/orgbridge/internal/store"
)

// UserName is the userName of seeded user i (from 0), the name the get
// phase filters by.
func UserName(i int) string { return fmt.Sprintf("user%06d@example.jp", i) }

// UserID is the SCIM id of seeded user i, the one the patch phase patches.
func UserID(i int) string { return fmt.Sprintf("%08d-0000-4000-8000-000000000000", i) }

// Seeded is the number of live Users in st.
func Seeded(ctx context.Context, st store.Store) (int, error) {
	_, total, err := st.SCIMQuery(ctx, store.SCIMUser, nil, 0, 1)
	if err != nil {
		return 0, fmt.Errorf("count the stored users: %w", err)
	}
	return total, nil
}

// Seed stores users 0 to n-1 that st does not hold yet, and returns how
// many it stored. It assumes a store seeded by Seed (or by scim's
// BenchmarkAt100k, which stores the same users): the users it holds are
// taken to be the first ones, and it stores from there on. progress, when
// set, is called every 10,000 users.
func Seed(ctx context.Context, st store.Store, n int, progress func(done int)) (int, error) {
	have, err := Seeded(ctx, st)
	if err != nil {
		return 0, err
	}
	stored := 0
	for i := have; i < n; i++ {
		if err := ctx.Err(); err != nil {
			return stored, err
		}
		doc := fmt.Sprintf(`{"userName":%q,"active":true,"displayName":"社員 %d","name":{"givenName":"太郎","familyName":"社員"},`+
			`"emails":[{"value":%q,"type":"work","primary":true},{"value":"u%06d@home.example","type":"home"}]}`, UserName(i), i, UserName(i), i)
		if _, err := st.SCIMCreate(ctx, store.SCIMResource{Type: store.SCIMUser, ID: UserID(i),
			ExternalID: fmt.Sprintf("ext-%d", i), Name: UserName(i), Doc: []byte(doc)}); err != nil {
			return stored, fmt.Errorf("store user %d: %w", i, err)
		}
		stored++
		if progress != nil && (i+1)%10000 == 0 {
			progress(i + 1)
		}
	}
	return stored, nil
}
