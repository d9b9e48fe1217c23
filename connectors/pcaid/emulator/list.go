package emulator

import (
	"encoding/base64"
	"math"
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
	limit = c.limit(errs)
	if v := c.q("cursor"); v != "" {
		seq, ok := decodeCursor(v)
		if !ok {
			errs.Add("cursor", msgIn("cursor"))
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

// pageOf returns the items of the page a list request asks for and the
// answer's paging fields, as the readings page: by cursor ("next_cursor",
// null on the last page; the default), by page number (ReadingPagingPage:
// "page", "limit", "total"), or not at all (ReadingPagingNone: every
// item, no field), by offset (ReadingPagingOffset: "offset", "limit",
// "total") or by AWS's next_token (ReadingPagingNextToken). A bad limit,
// cursor, page, offset or token is a 422.
func pageOf[T any](c *call, all []T, seq func(T) int64) ([]T, map[string]any, *errorBag) {
	var errs errorBag
	switch {
	case c.s.readings.Has(ReadingPagingNone):
		return all, map[string]any{}, &errs
	case c.s.readings.Has(ReadingPagingPage):
		return pageAt(c, all, "page", 1, func(page, limit int) int { return (page - 1) * limit })
	case c.s.readings.Has(ReadingPagingOffset):
		return pageAt(c, all, "offset", 0, func(offset, _ int) int { return offset })
	case c.s.readings.Has(ReadingPagingNextToken):
		// AWS's way: the token goes back as next_token, and the last page
		// has none (the key left out, as DynamoDB leaves out
		// LastEvaluatedKey).
		limit := c.limit(&errs)
		var after int64
		if v := c.q("next_token"); v != "" {
			seq, ok := decodeCursor(v)
			if !ok {
				errs.Add("next_token", msgIn("next_token"))
			}
			after = seq
		}
		if !errs.Empty() {
			return nil, nil, &errs
		}
		out, next := pageAfter(all, seq, limit, after)
		fields := map[string]any{}
		if next != nil {
			fields["next_token"] = *next
		}
		return out, fields, &errs
	}
	limit, after := c.paging(&errs)
	if !errs.Empty() {
		return nil, nil, &errs
	}
	out, next := pageAfter(all, seq, limit, after)
	return out, map[string]any{"next_cursor": next}, &errs
}

// pageAt is the page of all that ?key places (ReadingPagingPage's page,
// ReadingPagingOffset's offset: a whole number from lo, lo when absent):
// start turns it and the limit into the index of the page's first item.
// The answer's paging fields are key, "limit" and "total".
func pageAt[T any](c *call, all []T, key string, lo int, start func(n, limit int) int) ([]T, map[string]any, *errorBag) {
	var errs errorBag
	limit := c.limit(&errs)
	n := lo
	if v := c.q(key); v != "" {
		m, err := strconv.Atoi(v)
		if err != nil || m < lo {
			errs.Add(key, msgRange(key, lo, math.MaxInt32))
		} else {
			n = m
		}
	}
	if !errs.Empty() {
		return nil, nil, &errs
	}
	from := min(start(n, limit), len(all))
	out := all[from:min(from+limit, len(all))]
	return out, map[string]any{key: n, "limit": limit, "total": len(all)}, &errs
}

// limit reads ?limit (1..MaxLimit, default DefaultLimit).
func (c *call) limit(errs *errorBag) int {
	limit := DefaultLimit
	if v := c.q("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			errs.Add("limit", msgRange("limit", 1, MaxLimit))
		} else {
			limit = n
		}
	}
	return limit
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
