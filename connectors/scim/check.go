package scim

import (
	"context"
	"errors"
	"fmt"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/store"
)

var _ connectors.Checker = (*Config)(nil)

// Check is validate --connect's test of the source: what identity
// providers pushed lives in the state store, so it checks that the store
// answers and says how many Users and Groups it holds (none before the
// first push, which is no failure). One count query a type; nothing is
// read in full, nothing written.
func (c *Config) Check(ctx context.Context, env connectors.CheckEnv) []connectors.CheckResult {
	r := connectors.CheckResult{Check: "read the pushed Users and Groups from the store"}
	if _, err := c.groupsAs(); err != nil {
		r.Key, r.Err = "source.scim.groups_as", err
		return []connectors.CheckResult{r}
	}
	if env.Store == nil {
		r.Err = errors.New("the store did not open (see its line): the scim source reads what was pushed from it")
		return []connectors.CheckResult{r}
	}
	counts := make([]int, 2)
	for i, typ := range []string{store.SCIMUser, store.SCIMGroup} {
		_, n, err := env.Store.SCIMQuery(ctx, typ, nil, 0, 1)
		if err != nil {
			r.Err = fmt.Errorf("count the stored %ss: %w", typ, err)
			return []connectors.CheckResult{r}
		}
		counts[i] = n
	}
	r.Detail = fmt.Sprintf("%d User(s), %d Group(s) stored", counts[0], counts[1])
	if counts[0] == 0 && counts[1] == 0 {
		r.Detail += " (nothing pushed yet: an IdP pushes to the scim block's endpoint under orgbridge serve)"
	}
	return []connectors.CheckResult{r}
}
