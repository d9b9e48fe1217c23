package scimtarget

import (
	"strings"
	"unicode"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
)

// listed holds the natural keys of what the last Read listed, so that a
// create's lookup is answered without a request when Read saw the whole
// collection: on a first sync every create would otherwise cost one or
// two filtered GETs that can only find nothing (issue 13: one request per
// object). It answers only for a collection listed complete (every page,
// without a filter put in for a server that refuses to list without one,
// up to its totalResults), and only the pre-create lookup of Apply's
// first attempt at a create: Find (the executor's lookup, in a retry
// pass, of a create whose answer was lost) and a create tried again
// since the Read ask the server, since what they look for may have been
// made after the Read.
type listed struct {
	// complete: the collection+path pairs (listedKey with no value) a
	// lookup may be answered for.
	complete map[string]bool
	// by are the resources of a complete collection by listedKey.
	by map[string][]listedEntry
	// tried are the creates answered from here, by kind and key: another
	// attempt at one looks up on the server.
	tried map[string]bool
}

// listedEntry is one resource under one natural key: its id, the value
// as listed (compared as findOne compares it), and for a Group its kind
// and code (findGroup keeps Groups of a kind).
type listedEntry struct {
	id, value string
	kind      mapping.Kind
	code      string
}

// listedKey indexes a value of the attribute at ap of a collection, its
// case folded (userName is compared case-insensitively; an exact
// comparison is made on the entry's value).
func listedKey(collection string, ap attrPath, value string) string {
	return collection + "\x00" + ap.String() + "\x00" + foldKey(value)
}

// foldKey maps each rune to the least of its simple case folding orbit,
// so that two strings strings.EqualFold holds equal have the same key.
func foldKey(s string) string {
	return strings.Map(func(r rune) rune {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		return least
	}, s)
}

// newListed indexes what Read listed: Users by the login id's and the
// source key's attributes, Groups by externalId and displayName, each
// when its list was complete; nil when neither was.
func (a *Adapter) newListed(users []resource, usersComplete bool, groups []resource, groupsComplete bool) *listed {
	if !usersComplete && !groupsComplete {
		return nil
	}
	l := &listed{complete: map[string]bool{}, by: map[string][]listedEntry{}, tried: map[string]bool{}}
	add := func(collection string, ap attrPath, r resource, e listedEntry) {
		e.id, e.value = text(r["id"]), ap.get(r)
		if e.value != "" {
			k := listedKey(collection, ap, e.value)
			l.by[k] = append(l.by[k], e)
		}
	}
	if usersComplete {
		var paths []attrPath
		for _, name := range []string{FieldLoginID, FieldKey} {
			if ap, ok := a.attrs[name]; ok {
				paths = append(paths, ap)
				l.complete[listedKey(usersPath, ap, "")] = true
			}
		}
		for _, r := range users {
			for _, ap := range paths {
				add(usersPath, ap, r, listedEntry{})
			}
		}
	}
	if groupsComplete {
		for _, ap := range []attrPath{externalIDPath, displayNamePath} {
			l.complete[listedKey(groupsPath, ap, "")] = true
		}
		for _, r := range groups {
			kind, _, code := a.group(r)
			for _, ap := range []attrPath{externalIDPath, displayNamePath} {
				add(groupsPath, ap, r, listedEntry{kind: kind, code: code})
			}
		}
	}
	return l
}

// find answers findOne from the listing: ok false when it cannot (the
// collection was not listed complete, or not by that attribute).
func (l *listed) find(collection string, ap attrPath, value string, eq func(x, y string) bool, keep func(mapping.Kind, string) bool) (ids []string, ok bool) {
	if l == nil || !l.complete[listedKey(collection, ap, "")] {
		return nil, false
	}
	for _, e := range l.by[listedKey(collection, ap, value)] {
		if eq(e.value, value) && (keep == nil || keep(e.kind, e.code)) {
			ids = append(ids, e.id)
		}
	}
	return ids, true
}

// setListed replaces the listing (nil: none).
func (a *Adapter) setListed(l *listed) {
	a.lmu.Lock()
	defer a.lmu.Unlock()
	a.listed = l
}

// listedFor is the listing a create c's lookup may be answered from: the
// last Read's, the first time c is made since; nil after that (the
// create was tried, and may have landed: the executor retries it after a
// transient failure), and nil when there is none.
func (a *Adapter) listedFor(c connectors.Change) *listed {
	a.lmu.Lock()
	defer a.lmu.Unlock()
	l := a.listed
	if l == nil {
		return nil
	}
	k := string(c.Kind) + "\x00" + c.Key
	if l.tried[k] {
		return nil
	}
	l.tried[k] = true
	return l
}
