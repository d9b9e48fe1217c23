package emukit

import (
	"fmt"
	"slices"
	"strings"
)

// Reading is one way of reading a place where a document allows more than
// one (a required array that may be empty, what a list contains, an enum
// with no values, the shape of an error body). An emulator serves its
// document's first reading by default and each other one behind a flag
// (`orgbridge emulate NAME --reading NAME,...`), so that the adapter is
// tested against all of them.
type Reading struct {
	// Name is the flag value: lower-case words joined by '-'.
	Name string
	// Seed quotes the line of the seed document that allows this reading,
	// with its file and line number.
	Seed string
	// Doc says what the emulator does under it.
	Doc string
	// Excludes names readings that cannot be served together with this one
	// (two answers to the same question).
	Excludes []string
}

// Readings is the catalogue of an emulator's readings.
type Readings []Reading

// Names returns the readings' names, in catalogue order.
func (rs Readings) Names() []string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Name
	}
	return names
}

// Lookup returns the reading called name.
func (rs Readings) Lookup(name string) (Reading, bool) {
	i := slices.IndexFunc(rs, func(r Reading) bool { return r.Name == name })
	if i < 0 {
		return Reading{}, false
	}
	return rs[i], true
}

// Parse checks a list of reading names (as given to --reading, each item
// possibly a comma-separated list) against the catalogue and returns them
// as a set. An unknown name, or two readings that exclude each other, is
// an error naming them and the known ones.
func (rs Readings) Parse(names []string) (Set, error) {
	set := Set{}
	for _, item := range names {
		for _, n := range strings.Split(item, ",") {
			n = strings.TrimSpace(n)
			if n == "" {
				continue
			}
			if _, ok := rs.Lookup(n); !ok {
				if len(rs) == 0 {
					return nil, fmt.Errorf("unknown reading %q: this emulator serves only its default reading", n)
				}
				return nil, fmt.Errorf("unknown reading %q (known: %s)", n, strings.Join(rs.Names(), ", "))
			}
			set[n] = true
		}
	}
	for n := range set {
		r, _ := rs.Lookup(n)
		for _, x := range r.Excludes {
			if set[x] {
				return nil, fmt.Errorf("readings %q and %q exclude each other", n, x)
			}
		}
	}
	return set, nil
}

// Combinations returns the sets of readings a conformance run should cover:
// the default (no reading), each reading alone, and all of them together
// less those that exclude one another (the first of each excluding pair is
// kept in the "all" set, and a second "all" set keeps the other where there
// is such a pair). It is what the conformance suites iterate over.
func (rs Readings) Combinations() [][]string {
	out := [][]string{nil}
	for _, r := range rs {
		out = append(out, []string{r.Name})
	}
	if len(rs) < 2 {
		return out
	}
	all := func(preferLast bool) []string {
		var picked []string
		order := slices.Clone(rs)
		if preferLast {
			slices.Reverse(order)
		}
		for _, r := range order {
			clash := slices.ContainsFunc(picked, func(p string) bool {
				q, _ := rs.Lookup(p)
				return slices.Contains(r.Excludes, p) || slices.Contains(q.Excludes, r.Name)
			})
			if !clash {
				picked = append(picked, r.Name)
			}
		}
		slices.Sort(picked)
		return picked
	}
	first, second := all(false), all(true)
	out = append(out, first)
	if !slices.Equal(first, second) {
		out = append(out, second)
	}
	return out
}

// Doc renders the catalogue as the text `orgbridge emulate --help` and the
// README show: one paragraph a reading.
func (rs Readings) Doc() string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "  %s: %s\n      (%s)\n", r.Name, r.Doc, r.Seed)
	}
	return b.String()
}

// Set is a set of reading names an emulator was started with.
type Set map[string]bool

// Has reports whether the reading called name is served.
func (s Set) Has(name string) bool { return s[name] }

// String lists the set's names, sorted and comma-separated ("default" when
// empty), for test names and logs.
func (s Set) String() string {
	if len(s) == 0 {
		return "default"
	}
	names := make([]string, 0, len(s))
	for n := range s {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ",")
}
