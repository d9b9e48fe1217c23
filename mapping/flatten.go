package mapping

import (
	"fmt"
	"strings"
)

// Flatten modes.
const (
	FlattenTopLevel = "top_level"
	FlattenPath     = "path"
)

// DefaultFlattenSeparator joins names in FlattenPath mode.
const DefaultFlattenSeparator = " / "

// Flatten rewrites an org tree as flat orgs, for targets whose orgs do not
// nest. In FlattenTopLevel mode only the top-level orgs remain, and every
// membership and group placed in an org below moves to its top-level
// ancestor (a user who ends up twice in one org keeps the stronger role). In
// FlattenPath mode every org stays, named by its whole path joined by sep.
// Keys do not change, so links survive a change of mode only for the orgs
// both modes keep.
func Flatten(s *Snapshot, mode, sep string) error {
	if sep == "" {
		sep = DefaultFlattenSeparator
	}
	idx := s.OrgIndex()
	switch mode {
	case FlattenPath:
		names := make(map[string]string, len(s.Orgs))
		for _, o := range s.Orgs {
			var parts []string
			seen := map[string]bool{}
			for k := o.Key; k != "" && !seen[k]; k = idx[k].ParentKey {
				seen[k] = true
				if idx[k] == nil {
					return fmt.Errorf("org %q: parent %q does not exist", o.Key, k)
				}
				parts = append([]string{idx[k].Name}, parts...)
			}
			names[o.Key] = strings.Join(parts, sep)
		}
		for i := range s.Orgs {
			s.Orgs[i].Name = names[s.Orgs[i].Key]
			s.Orgs[i].ParentKey = ""
		}
		return nil
	case FlattenTopLevel:
		top := func(key string) string {
			seen := map[string]bool{}
			for o := idx[key]; o != nil && o.ParentKey != "" && !seen[o.Key]; o = idx[o.ParentKey] {
				seen[o.Key] = true
				key = o.ParentKey
			}
			return key
		}
		byID := map[string]int{}
		var ms []Membership
		for _, m := range s.Memberships {
			if m.Kind == KindOrg {
				m.ContainerKey = top(m.ContainerKey)
			}
			if i, dup := byID[m.ID()]; dup {
				if m.Role == RoleAdmin {
					ms[i].Role = RoleAdmin
				}
				continue
			}
			byID[m.ID()] = len(ms)
			ms = append(ms, m)
		}
		s.Memberships = ms
		for i := range s.Groups {
			if s.Groups[i].OrgKey != "" {
				s.Groups[i].OrgKey = top(s.Groups[i].OrgKey)
			}
		}
		orgs := s.Orgs[:0]
		for _, o := range s.Orgs {
			if o.ParentKey == "" {
				orgs = append(orgs, o)
			}
		}
		s.Orgs = orgs
		return nil
	}
	return fmt.Errorf("flatten mode %q is not %s or %s", mode, FlattenTopLevel, FlattenPath)
}
