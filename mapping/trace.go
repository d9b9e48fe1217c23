package mapping

import "sort"

// Traced is one template of a job's rules rendered over one record: what
// `orgbridge explain` shows as "field = value ← template".
type Traced struct {
	// Key is the template's config key, with the prefix Compile was given
	// ("jobs[0].mapping.users.name"); config.File.Locate finds its line.
	Key string `json:"key"`
	// Template is the template's text as parsed.
	Template string `json:"template"`
	// Value is what it rendered (trimmed), empty when Err is set.
	Value string `json:"value"`
	// Err is why it could not render (a column the record lacks).
	Err string `json:"error,omitempty"`
	// Condition marks a scope.exclude or suspended condition; Match says
	// whether Value is one of the values it names.
	Condition bool `json:"condition,omitempty"`
	Match     bool `json:"match,omitempty"`
	// Role, for users.role.template, is the role the value maps to ("" when
	// it maps to none).
	Role Role `json:"role,omitempty"`
}

// Trace renders every template of the rules that reads a record of rec's
// kind over its attributes, in the order a build applies them (a user's
// scope and suspended conditions first), each on its own: one that fails
// does not stop the others, so that every problem and every value shows.
// It builds nothing and changes nothing.
func (r *Rules) Trace(rec Record) []Traced {
	data := recordData(&rec)
	var out []Traced
	add := func(f *field) *Traced {
		if f == nil {
			return nil
		}
		t := Traced{Key: f.key, Template: f.tmpl.Root.String()}
		v, err := f.render(data)
		if err != nil {
			t.Err = unwrapExec(err).Error()
		} else {
			t.Value = v
		}
		out = append(out, t)
		return &out[len(out)-1]
	}
	cond := func(m matcher) {
		if t := add(m.field); t != nil {
			t.Condition = true
			t.Match = t.Err == "" && m.values[t.Value]
		}
	}
	switch rec.Kind {
	case KindUser:
		for _, m := range r.exclude {
			cond(m)
		}
		for _, m := range r.suspended {
			cond(m)
		}
		add(r.loginID)
		add(r.email)
		add(r.name)
		names := append([]string(nil), r.attributeNames...)
		sort.Strings(names)
		for _, k := range names {
			add(r.attributes[k])
		}
		add(r.orgPath)
		add(r.orgRef)
		if t := add(r.role); t != nil && t.Err == "" {
			switch role, ok := r.roleValues[t.Value]; {
			case ok:
				t.Role = role
			case Role(t.Value).Valid() && len(r.roleValues) == 0:
				t.Role = Role(t.Value)
			default:
				t.Role = r.roleDefault
			}
		}
		add(r.groups)
	case KindOrg:
		for _, f := range []*field{r.orgKey, r.orgName, r.orgCode, r.orgParent, r.orgDescription} {
			add(f)
		}
	case KindGroup:
		for _, f := range []*field{r.groupName, r.groupCode, r.groupOrg, r.groupDescription} {
			add(f)
		}
	}
	return out
}
