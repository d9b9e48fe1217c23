package emulator

import (
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

// Meta is the pagination block of a list response.
type Meta struct {
	CurrentPage int `json:"currentPage"`
	LastPage    int `json:"lastPage"`
	PerPage     int `json:"perPage"`
	Total       int `json:"total"`
}

// List is the shape of every list response.
type List[T any] struct {
	Data []T  `json:"data"`
	Meta Meta `json:"meta"`
}

// snakeMeta is the pagination block under ReadingMetaSnakeCase: Laravel's
// paginator, with from and to (null on an empty page).
type snakeMeta struct {
	CurrentPage int  `json:"current_page"`
	From        *int `json:"from"`
	LastPage    int  `json:"last_page"`
	PerPage     int  `json:"per_page"`
	To          *int `json:"to"`
	Total       int  `json:"total"`
}

// pageLimitMeta is the pagination block under ReadingMetaPageLimit: the
// query's own parameters and the total, no last page.
type pageLimitMeta struct {
	Page  int `json:"page"`
	Limit int `json:"limit"`
	Total int `json:"total"`
}

const (
	defaultLimit = 100
	maxLimit     = 1000
	maxPage      = math.MaxInt32 // page is <int32> in the document
)

// query validates query parameters. An empty value counts as absent.
type query struct {
	c    *call
	errs errorBag
	// extra is what else than the parameters a list's matches depend on
	// (the organizations' period filter: today's date), part of its
	// cache key.
	extra string
}

func (q *query) get(key string) (string, bool) {
	v := q.c.q(key)
	return v, v != ""
}

// partial reads a filter that matches a value holding it, in any case
// (the name filters); absent, it matches every value.
func (q *query) partial(key string) func(v string) bool {
	want, ok := q.get(key)
	want = strings.ToLower(want)
	return func(v string) bool { return !ok || strings.Contains(strings.ToLower(v), want) }
}

// exact reads a filter that matches the whole value (完全一致: code, mail,
// loginId), never an unset one; absent, it matches every value.
func (q *query) exact(key string) func(v *string) bool {
	want, ok := q.get(key)
	return func(v *string) bool { return !ok || (v != nil && *v == want) }
}

// intRange reads an integer in [min, max] (max 0: unbounded), def if absent.
func (q *query) intRange(key string, def, min, max int) int {
	v, ok := q.get(key)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	switch {
	case err != nil:
		q.errs.Add(key, msgInteger(key))
	case n < min:
		q.errs.Add(key, msgMinNumber(key, min))
	case max > 0 && n > max:
		q.errs.Add(key, msgMaxNumber(key, max))
	default:
		return n
	}
	return def
}

// multi reads a comma-separated list whose values must be in allowed; a bad
// value is reported under its index ("status.1"). nil means no filter.
func (q *query) multi(key string, allowed ...string) map[string]bool {
	v, ok := q.get(key)
	if !ok {
		return nil
	}
	set := map[string]bool{}
	for i, part := range strings.Split(v, ",") {
		if !slices.Contains(allowed, part) {
			q.errs.Add(key+"."+strconv.Itoa(i), msgIn(key+"."+strconv.Itoa(i)))
			continue
		}
		set[part] = true
	}
	return set
}

// one reads a single value that must be in allowed.
func (q *query) one(key string, allowed ...string) (string, bool) {
	v, ok := q.get(key)
	if !ok {
		return "", false
	}
	if !slices.Contains(allowed, v) {
		q.errs.Add(key, msgIn(key))
		return "", false
	}
	return v, true
}

// flag reads a 0/1 boolean parameter.
func (q *query) flag(key string) (bool, bool) {
	v, ok := q.get(key)
	if !ok {
		return false, false
	}
	switch v {
	case "0":
		return false, true
	case "1":
		return true, true
	}
	q.errs.Add(key, msgBoolean(key))
	return false, false
}

// paging reads limit and page.
func (q *query) paging() (limit, page int) {
	limit = q.intRange("limit", defaultLimit, 1, maxLimit)
	page = q.intRange("page", 1, 1, maxPage)
	return limit, page
}

// listPage answers a list route: limit and page are read after the
// route's own filters (so that their errors come first, in the query's
// order), then, when every parameter was good, the page of those of all()
// that keep accepts, each rendered. The matches of a query are kept until
// the next write (listCache): a list of a million users is read a thousand
// at a time, and filtering every user again for each of its thousand pages
// made the emulator's answer grow with the total, a no-change sync of a
// million users quadratic in them.
func listPage[R, T any](q *query, all func() []R, keep func(R) bool, render func(R) T) response {
	limit, pg := q.paging()
	if !q.errs.Empty() {
		return q.errs.unprocessable()
	}
	matches := cachedMatches(q, func() []R {
		var out []R
		for _, r := range all() {
			if keep(r) {
				out = append(out, r)
			}
		}
		return out
	})
	from := len(matches) // past the end: an empty page
	if pg-1 <= len(matches)/limit {
		from = min((pg-1)*limit, len(matches))
	}
	items := matches[from:min(from+limit, len(matches))]
	return page(q, items, len(matches), from, limit, pg, render)
}

// listCache holds the matches of the list queries answered since the last
// write, by the query's path and parameters other than page and limit
// (and whatever else its answer depends on, such as today's date). Any
// write empties it: a write may change what a filter matches or the order
// of a list, and a sync reads its lists before it writes.
type listCache struct {
	m map[string]any
}

// maxCachedLists bounds the queries kept: past it the cache starts over.
// A sync pages through a few lists at a time; an organization's user lists
// (user-orgs-absent) are each read once.
const maxCachedLists = 64

// drop forgets every list: the data changed.
func (c *listCache) drop() { clear(c.m) }

// cachedMatches returns the matches of q's list, computing them with
// match when the cache has none of the same key.
func cachedMatches[R any](q *query, match func() []R) []R {
	c := q.c.lists
	if c == nil {
		return match()
	}
	key := q.cacheKey()
	if v, ok := c.m[key].([]R); ok {
		return v
	}
	out := match()
	if c.m == nil || len(c.m) >= maxCachedLists {
		c.m = map[string]any{}
	}
	c.m[key] = out
	return out
}

// cacheKey names a list query by its path, its parameters but page and
// limit (url.Values.Encode sorts them) and q.extra.
func (q *query) cacheKey() string {
	v := url.Values{}
	for k, vs := range q.c.query {
		if k != "page" && k != "limit" {
			v[k] = vs
		}
	}
	return q.c.r.URL.Path + "?" + v.Encode() + "#" + q.extra
}

// page answers the page of total matches whose first, at index from, and
// following are items, each rendered.
func page[R, T any](q *query, items []R, total, from, limit, page int, render func(R) T) response {
	last := (total + limit - 1) / limit
	if last < 1 {
		last = 1
	}
	data := make([]T, 0, len(items))
	for _, it := range items {
		data = append(data, render(it))
	}
	if q.c.readings.Has(ReadingMetaPageLimit) {
		return emukit.JSON(http.StatusOK, map[string]any{"data": data, "meta": pageLimitMeta{Page: page, Limit: limit, Total: total}})
	}
	if q.c.readings.Has(ReadingMetaSnakeCase) {
		m := snakeMeta{CurrentPage: page, LastPage: last, PerPage: limit, Total: total}
		if len(data) > 0 {
			first, end := from+1, from+len(data)
			m.From, m.To = &first, &end
		}
		return emukit.JSON(http.StatusOK, map[string]any{"data": data, "meta": m})
	}
	return emukit.JSON(http.StatusOK, List[T]{
		Data: data,
		Meta: Meta{CurrentPage: page, LastPage: last, PerPage: limit, Total: total},
	})
}

// jst is the service's time zone; "today" for the period filter is a date
// in it.
var jst = time.FixedZone("JST", 9*60*60)

// inPeriod reports whether today lies within [start, end]; an unset bound
// is open.
func inPeriod(start, end *string, today string) bool {
	if start != nil && today < *start {
		return false
	}
	if end != nil && today > *end {
		return false
	}
	return true
}

// getOne answers a GET of one user, organization or group: {"data": it}
// as render shows it, or a 404 when r is nil (no such id).
func getOne[R, V any](r *R, render func(*R) V) response {
	if r == nil {
		return message(http.StatusNotFound, msgNotFound)
	}
	return emukit.JSON(http.StatusOK, map[string]any{"data": render(r)})
}
