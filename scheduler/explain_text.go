package scheduler

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/orgbridge/orgbridge/mapping"
)

// WriteExplanationJSON prints an explanation as indented JSON.
func WriteExplanationJSON(w io.Writer, e *Explanation) error {
	return writeIndentedJSON(w, e)
}

// WriteExplanationText prints an explanation in its sections, one fact a
// line (orgbridge explain).
func WriteExplanationText(w io.Writer, e *Explanation) error {
	p := &errWriter{w: w}
	name := e.Key
	if name == "" {
		name = "(not managed)"
	}
	p.printf("job %s: %s %s (found by %s %q)\n", e.Job, e.Kind, name, e.MatchedBy, e.Query)

	p.printf("\nSource\n")
	for _, s := range e.Source {
		p.printf("  %s  key=%s  %s\n", s.Origin, s.Key, s.Status)
		for _, at := range s.Attributes {
			p.printf("    %s = %q\n", at.Name, at.Value)
		}
	}
	if e.SourceNote != "" {
		p.printf("  %s\n", e.SourceNote)
	}

	if len(e.Mapping) > 0 {
		p.printf("\nMapping\n")
		for _, m := range e.Mapping {
			value := fmt.Sprintf("%q", m.Value)
			switch {
			case m.Error != "":
				value = "error: " + m.Error
			case m.Condition && m.Match:
				value += " (matches)"
			case m.Condition:
				value += " (no match)"
			case m.Role != "":
				value += " → " + string(m.Role)
			}
			at := ""
			if m.Location != "" {
				at = "  (" + m.Location + ")"
			}
			p.printf("  %s = %s ← %s%s\n", m.Field, value, m.Template, at)
		}
	}
	if e.Desired != nil {
		p.printf("\nDesired (what the mapping makes of it)\n")
		writeObjectView(p, e.Kind, e.Desired)
	}

	p.printf("\nLink\n")
	switch {
	case e.Link == nil:
		p.printf("  not linked\n")
	case e.Link.Adopt:
		p.printf("  not linked yet: a sync adopts target %s\n", e.Link.TargetID)
	default:
		p.printf("  target id %s\n", e.Link.TargetID)
	}

	p.printf("\nTarget (%s)\n", e.TargetRead)
	if e.Target == nil {
		p.printf("  not in the target\n")
	} else {
		writeObjectView(p, e.Kind, e.Target)
	}

	p.printf("\nPlan\n")
	if len(e.Plan) == 0 {
		p.printf("  no change: the target is in step with the source for this object\n")
	}
	for _, c := range e.Plan {
		seq := "   "
		if c.Seq > 0 {
			seq = fmt.Sprintf("%3d", c.Seq)
		}
		p.printf("  %s %s %s %s: %s\n", seq, strings.ReplaceAll(c.Action, "_", " "), c.Kind, c.Key, c.Reason)
		for _, d := range c.Diff {
			p.printf("        %s: %q → %q\n", d.Field, d.Old, d.New)
		}
	}
	if e.Guard != "" {
		p.printf("  the guard would refuse the whole run: %s\n", e.Guard)
	}

	p.printf("\nJournal\n")
	if e.JournalNote != "" {
		p.printf("  %s\n", e.JournalNote)
	}
	for _, j := range e.Journal {
		p.printf("  run %d #%d  %s  %s  %s  %s", j.RunID, j.Seq, j.Time.Format(time.RFC3339), j.Mode, j.Action, j.Outcome)
		if j.Error != "" {
			p.printf("  error: %s", j.Error)
		}
		p.printf("\n")
		for _, c := range j.Changed {
			p.printf("        %s\n", c)
		}
	}
	return p.err
}

func writeObjectView(p *errWriter, kind mapping.Kind, v *ObjectView) {
	field := func(name, value string) {
		if value != "" {
			p.printf("  %s = %q\n", name, value)
		}
	}
	field("id", v.ID)
	field("name", v.Name)
	field("login_id", v.LoginID)
	field("email", v.Email)
	field("code", v.Code)
	field("parent", v.Parent)
	field("description", v.Description)
	if kind == mapping.KindUser {
		p.printf("  suspended = %t\n", v.Suspended)
	}
	names := make([]string, 0, len(v.Attributes))
	for k := range v.Attributes {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		p.printf("  attributes.%s = %q\n", k, v.Attributes[k])
	}
	for _, m := range v.Memberships {
		p.printf("  member: %s\n", m)
	}
}
