package emulator

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// Paging of GET /users, GET /users/query and
// GET /organizations/service_partition/users.
const (
	DefaultLimit = 50
	MaxLimit     = 100
)

// paging reads limit (1..MaxLimit, default DefaultLimit) and cursor (an
// opaque value from an earlier page's next_cursor). An empty parameter is
// absent.
func (c *call) paging(errs *errorBag) (limit int, after int64) {
	limit = DefaultLimit
	if v := c.q("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			errs.add("limit", msgRange("limit", 1, MaxLimit))
		} else {
			limit = n
		}
	}
	if v := c.q("cursor"); v != "" {
		seq, ok := decodeCursor(v)
		if !ok {
			errs.add("cursor", msgIn("cursor"))
		}
		after = seq
	}
	return limit, after
}

// A cursor names the creation sequence of the last item of a page, so a
// page is stable under inserts and deletes before it.
func encodeCursor(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("after:" + strconv.FormatInt(seq, 10)))
}

func decodeCursor(v string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return 0, false
	}
	n, ok := strings.CutPrefix(string(b), "after:")
	if !ok {
		return 0, false
	}
	seq, err := strconv.ParseInt(n, 10, 64)
	return seq, err == nil && seq > 0
}

// pageAfter returns up to limit items (in creation order) whose sequence is
// above after, and the cursor of the next page (nil on the last page).
func pageAfter[T any](items []T, seq func(T) int64, limit int, after int64) ([]T, *string) {
	var out []T
	for i, it := range items {
		if seq(it) <= after {
			continue
		}
		if len(out) == limit {
			next := encodeCursor(seq(items[i-1]))
			return out, &next
		}
		out = append(out, it)
	}
	return out, nil
}
