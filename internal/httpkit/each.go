package httpkit

import (
	"context"

	"golang.org/x/sync/errgroup"
)

// ReadEach calls read for every item, at most limit at a time (limit < 1:
// no bound), and returns the results in the order of items. The first
// error cancels the context the other calls get and is returned, with no
// results. It is for the per-container reads of a target's Read (the
// members of each group), which a rate-limited client paces anyway.
func ReadEach[T, R any](ctx context.Context, limit int, items []T, read func(context.Context, T) (R, error)) ([]R, error) {
	out := make([]R, len(items))
	g, gctx := errgroup.WithContext(ctx)
	if limit > 0 {
		g.SetLimit(limit)
	}
	for i, it := range items {
		g.Go(func() (err error) {
			out[i], err = read(gctx, it)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}
