package scheduler

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
)

var (
	renderKinds   = []mapping.Kind{mapping.KindOrg, mapping.KindGroup, mapping.KindUser, mapping.KindMembership}
	renderActions = []connectors.Action{connectors.ActionCreate, connectors.ActionUpdate, connectors.ActionSuspend, connectors.ActionDelete}
)

// Counts tallies a plan's changes by kind and action.
func Counts(p *Plan) map[mapping.Kind]map[connectors.Action]int {
	out := map[mapping.Kind]map[connectors.Action]int{}
	for _, c := range p.Changes {
		if out[c.Kind] == nil {
			out[c.Kind] = map[connectors.Action]int{}
		}
		out[c.Kind][c.Action]++
	}
	return out
}

// Summarize renders a plan's counts on one line:
// "3 to create, 1 to update, 0 to suspend, 0 to delete (org +3, user ~1)".
func Summarize(p *Plan) string {
	counts := Counts(p)
	totals := map[connectors.Action]int{}
	var perKind []string
	for _, kind := range renderKinds {
		var parts []string
		for _, a := range renderActions {
			if n := counts[kind][a]; n > 0 {
				totals[a] += n
				parts = append(parts, fmt.Sprintf("%s%d", a.Symbol(), n))
			}
		}
		if len(parts) > 0 {
			perKind = append(perKind, string(kind)+" "+strings.Join(parts, " "))
		}
	}
	s := fmt.Sprintf("%d to create, %d to update, %d to suspend, %d to delete",
		totals[connectors.ActionCreate], totals[connectors.ActionUpdate], totals[connectors.ActionSuspend], totals[connectors.ActionDelete])
	if len(perKind) > 0 {
		s += " (" + strings.Join(perKind, ", ") + ")"
	}
	if n := len(p.Departed); n > 0 {
		s += fmt.Sprintf("; %d referenced users left", n)
	}
	if n := len(p.Adopt); n > 0 {
		s += fmt.Sprintf("; %d existing objects adopted", n)
	}
	return s
}

// WriteText prints a plan as terraform does: one line per change with
// + create, ~ update, ! suspend, - delete, the changed fields under each
// update, adoptions with =, and the counts last. Each change's line starts
// with its seq (Seq: 1 for the first change), the number `sync --plan
// --only/--except` and the held plans' "approve selected" name it by.
func WriteText(w io.Writer, job string, p *Plan) error {
	return WriteTextSeqs(w, job, p, nil)
}

// WriteTextSeqs is WriteText for part of a plan: seqs[i] is the seq of
// p.Changes[i] in the whole plan (nil: the whole plan, i+1).
func WriteTextSeqs(w io.Writer, job string, p *Plan, seqs []int) error {
	// Buffered: a plan of a million lines is a million writes otherwise,
	// each a system call when w is a terminal or a file.
	bw := bufio.NewWriterSize(w, 64<<10)
	ew := &errWriter{w: bw}
	writeText(ew, job, p, seqs)
	if ew.err != nil {
		return ew.err
	}
	return bw.Flush()
}

func writeText(ew *errWriter, job string, p *Plan, seqs []int) {
	if len(p.Changes) == 0 && len(p.Adopt) == 0 && len(p.Departed) == 0 {
		ew.printf("job %s: no changes; the target is in step with the source.\n", job)
		return
	}
	ew.printf("job %s: plan\n", job)
	for _, a := range p.Adopt {
		ew.printf("      = %-10s %s  (adopt existing %s)\n", a.Kind, a.Key, a.TargetID)
	}
	for _, key := range p.Departed {
		ew.printf("      ! %-10s %s  (left the source: memberships removed below)\n", mapping.KindUser, key)
	}
	var line, num []byte
	for i := range p.Changes {
		c := &p.Changes[i]
		seq := Seq(i)
		if i < len(seqs) {
			seq = seqs[i]
		}
		// As "  %3d %s %-10s %s%s\n" with describe(c), appended into one
		// line kept from change to change: fmt and the strings describe
		// built were most of the time of printing a million changes.
		line = append(line[:0], "  "...)
		num = strconv.AppendInt(num[:0], int64(seq), 10)
		line = appendPadded(line, num, 3, true)
		line = append(line, ' ')
		line = append(line, c.Action.Symbol()...)
		line = append(line, ' ')
		line = appendPadded(line, []byte(c.Kind), 10, false)
		line = append(line, ' ')
		line = append(line, c.Key...)
		line = appendDescribe(line, c)
		line = append(line, '\n')
		ew.write(line)
		for _, d := range c.Diff {
			ew.printf("            %s: %q → %q\n", d.Field, d.Old, d.New)
		}
	}
	ew.printf("\nPlan: %s\n", Summarize(p))
}

// Seq is the number a plan prints for its change at index i: people count
// from 1. (The journal's entries count from 0: JournalEntry.Seq.)
func Seq(i int) int { return i + 1 }

// appendPadded appends v padded with spaces to width runes, on the left
// (right-aligned, as fmt's %3d) or on the right (as %-10s).
func appendPadded(b, v []byte, width int, left bool) []byte {
	pad := width - utf8.RuneCount(v)
	if !left {
		b = append(b, v...)
	}
	for ; pad > 0; pad-- {
		b = append(b, ' ')
	}
	if left {
		b = append(b, v...)
	}
	return b
}

// describe adds a short description of the object to a change's line.
func describe(c connectors.Change) string { return string(appendDescribe(nil, &c)) }

// appendDescribe appends describe's text to b.
func appendDescribe(b []byte, c *connectors.Change) []byte {
	switch {
	case c.User != nil:
		b = append(b, "  "...)
		b = append(b, c.User.Name...)
		if c.User.LoginID != "" {
			b = append(b, "  login="...)
			b = append(b, c.User.LoginID...)
		}
		if c.Action == connectors.ActionCreate {
			if c.User.Suspended {
				b = append(b, "  (suspended)"...)
			}
			if len(c.OrgMemberships) > 0 {
				b = append(b, "  orgs="...)
				if len(c.OrgMemberships) == 1 { // one item: nothing to sort or join
					m := c.OrgMemberships[0]
					b = append(b, m.ContainerKey...)
					b = append(b, '(')
					b = append(b, m.Role...)
					b = append(b, ')')
				} else {
					b = append(b, membershipList(c.OrgMemberships)...)
				}
			}
		}
		if c.Action == connectors.ActionSuspend {
			b = append(b, "  (left the source: suspend)"...)
		}
	case c.Org != nil && c.Action == connectors.ActionCreate:
		if c.Org.Name != c.Org.Key && !strings.HasSuffix(c.Org.Key, "/"+c.Org.Name) {
			b = fmt.Appendf(b, "  name=%q", c.Org.Name) // renamed by flattening, or from an orgs file
		}
		if c.Org.Code != "" {
			b = append(b, "  code="...)
			b = append(b, c.Org.Code...)
		}
	case c.Membership != nil && c.Action != connectors.ActionUpdate:
		b = append(b, "  role="...)
		b = append(b, c.Membership.Role...)
	}
	return b
}

func membershipList(ms []mapping.Membership) string {
	items := make([]string, len(ms))
	for i, m := range ms {
		items[i] = m.ContainerKey + "(" + string(m.Role) + ")"
	}
	sort.Strings(items)
	return strings.Join(items, ",")
}

// jsonPlan is a plan as `orgbridge plan --json` prints it.
type jsonPlan struct {
	Job     string                                     `json:"job"`
	Summary string                                     `json:"summary"`
	Counts  map[mapping.Kind]map[connectors.Action]int `json:"counts"`
	Refused string                                     `json:"refused,omitempty"`
	*Plan
}

// WriteJSON prints a plan as indented JSON, with its counts and the guard's
// verdict, so that it can be saved, reviewed and diffed.
func WriteJSON(w io.Writer, job string, p *Plan, refused error) error {
	out := jsonPlan{Job: job, Summary: Summarize(p), Counts: Counts(p), Plan: p}
	if refused != nil {
		out.Refused = refused.Error()
	}
	if len(p.Changes) == 0 {
		return writeIndentedJSON(w, out)
	}
	// The changes are written one at a time (streamedList), not encoded
	// with the rest into one buffer: a million changes are most of a
	// gigabyte of JSON.
	shallow := *p
	shallow.Changes = []connectors.Change{}
	out.Plan = &shallow
	return writeIndentedJSONStreamed(w, out, streamedList{field: "changes", depth: 1, n: len(p.Changes), elem: func(i int) any { return &p.Changes[i] }})
}

// writeIndentedJSON is how the scheduler writes JSON for people to read,
// save and diff (a plan, a saved plan, an explanation): indented, and
// with <, > and & as they are.
func writeIndentedJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// streamedList is a list writeIndentedJSONStreamed writes element by
// element: the value given it holds the list empty (not nil) as field at
// depth (1 for a field of the top object), alone of its name there, and
// elem(i) is the list's element i, n of them.
type streamedList struct {
	field string
	depth int
	n     int
	elem  func(i int) any
}

// writeIndentedJSONStreamed writes v as writeIndentedJSON does, byte for
// byte, with each list of lists (in the order they come in v's JSON) in
// place of its empty stand-in, encoding one element at a time into a
// buffered writer: the whole document is never in memory at once.
func writeIndentedJSONStreamed(w io.Writer, v any, lists ...streamedList) error {
	var head bytes.Buffer
	if err := writeIndentedJSON(&head, v); err != nil {
		return err
	}
	rest := head.Bytes()
	bw := bufio.NewWriterSize(w, 64<<10)
	ew := &errWriter{w: bw}
	var elem bytes.Buffer
	for _, l := range lists {
		// Strings in JSON hold no raw newline, so a line is found only
		// where the encoder put it.
		marker := "\n" + strings.Repeat("  ", l.depth) + `"` + l.field + `": []`
		i := bytes.Index(rest, []byte(marker))
		if i < 0 {
			return fmt.Errorf("write JSON: no empty %q list at depth %d", l.field, l.depth)
		}
		end := i + len(marker) - 1 // the "]": what comes before it is written
		ew.write(rest[:end])
		indent := strings.Repeat("  ", l.depth+1)
		enc := json.NewEncoder(&elem)
		enc.SetIndent(indent, "  ")
		enc.SetEscapeHTML(false)
		for k := 0; k < l.n && ew.err == nil; k++ {
			elem.Reset()
			if err := enc.Encode(l.elem(k)); err != nil {
				return err
			}
			if k > 0 {
				ew.write([]byte(","))
			}
			ew.write([]byte("\n" + indent))
			ew.write(bytes.TrimSuffix(elem.Bytes(), []byte("\n")))
		}
		ew.write([]byte("\n" + strings.Repeat("  ", l.depth) + "]"))
		rest = rest[end+1:]
	}
	ew.write(rest)
	if ew.err != nil {
		return ew.err
	}
	return bw.Flush()
}

// errWriter prints to w and keeps the first write error, so that a
// renderer checks once, at the end.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

func (e *errWriter) write(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}
