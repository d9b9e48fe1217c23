package mapping

import (
	"fmt"
	"strings"
	"text/template"
	"text/template/parse"

	"github.com/orgbridge/orgbridge/internal/config"
)

// funcs are the small transforms a mapping template may use. Each takes the
// piped value last, so `{{.mail | lower}}` and `{{.x | default "y"}}` read
// naturally.
var funcs = template.FuncMap{
	"lower":      strings.ToLower,
	"upper":      strings.ToUpper,
	"trim":       strings.TrimSpace,
	"replace":    func(old, new, s string) string { return strings.ReplaceAll(s, old, new) },
	"trimPrefix": func(prefix, s string) string { return strings.TrimPrefix(s, prefix) },
	"trimSuffix": func(suffix, s string) string { return strings.TrimSuffix(s, suffix) },
	"default": func(def string, s string) string {
		if strings.TrimSpace(s) == "" {
			return def
		}
		return s
	},
}

// field is one compiled template, named by its config key for errors.
type field struct {
	key  string
	tmpl *template.Template
	// parts, when not nil, is the template rendered without text/template:
	// most mapping templates are a column, text around one, or a column
	// piped into lower, upper or trim, and a source of a million records
	// renders a dozen of them per record (text/template's reflection and
	// buffers were a third of a large plan's time).
	parts []part
}

// part is one piece of a simple template: literal text, or a column's
// value through unary funcs.
type part struct {
	text   string
	column string // "" for text
	funcs  []func(string) string
}

// unaryFuncs are the funcs a simple template may pipe a column into; they
// are the entries of funcs with one argument.
var unaryFuncs = map[string]func(string) string{
	"lower": strings.ToLower,
	"upper": strings.ToUpper,
	"trim":  strings.TrimSpace,
}

// simpleParts returns the parts of a template made only of text and
// actions of the form {{.column}} or {{.column | f | g}} with f and g
// among unaryFuncs, or nil for any other template.
func simpleParts(t *template.Template) []part {
	if t.Tree == nil || t.Tree.Root == nil {
		return nil
	}
	parts := []part{}
	for _, n := range t.Tree.Root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			parts = append(parts, part{text: string(n.Text)})
		case *parse.ActionNode:
			p := n.Pipe
			if p == nil || len(p.Decl) > 0 || p.IsAssign || len(p.Cmds) == 0 {
				return nil
			}
			first := p.Cmds[0]
			if len(first.Args) != 1 {
				return nil
			}
			fn, ok := first.Args[0].(*parse.FieldNode)
			if !ok || len(fn.Ident) != 1 {
				return nil
			}
			pt := part{column: fn.Ident[0]}
			for _, c := range p.Cmds[1:] {
				if len(c.Args) != 1 {
					return nil
				}
				id, ok := c.Args[0].(*parse.IdentifierNode)
				if !ok || unaryFuncs[id.Ident] == nil {
					return nil
				}
				pt.funcs = append(pt.funcs, unaryFuncs[id.Ident])
			}
			parts = append(parts, pt)
		default:
			return nil
		}
	}
	return parts
}

// compileField compiles a template; an empty text compiles to nil, which
// renders "". A missing attribute is an error at render time, so a column
// name misspelt in the config is reported on the first record.
func compileField(key, text string) (*field, error) {
	if text == "" {
		return nil, nil
	}
	t, err := template.New(key).Option("missingkey=error").Funcs(funcs).Parse(text)
	if err != nil {
		return nil, &config.FieldError{Key: key, Message: err.Error()}
	}
	return &field{key: key, tmpl: t, parts: simpleParts(t)}, nil
}

// render executes the field over a record's attributes and trims the result.
func (f *field) render(data *recordValues) (string, error) {
	if f == nil {
		return "", nil
	}
	if f.parts != nil {
		return f.renderParts(data)
	}
	var b strings.Builder
	if err := f.tmpl.Execute(&b, data.asMap()); err != nil {
		return "", fmt.Errorf("%s: %w", f.key, unwrapExec(err))
	}
	return strings.TrimSpace(b.String()), nil
}

// renderParts renders a simple template as text/template would, with
// missingkey=error's message for a column the record lacks. A template of
// one column returns the column's value itself, not a copy.
func (f *field) renderParts(data *recordValues) (string, error) {
	value := func(p part) (string, error) {
		if p.column == "" {
			return p.text, nil
		}
		v, ok := data.get(p.column)
		if !ok {
			return "", fmt.Errorf("%s: %w", f.key, fmt.Errorf("map has no entry for key %q", p.column))
		}
		for _, fn := range p.funcs {
			v = fn(v)
		}
		return v, nil
	}
	if len(f.parts) == 1 {
		v, err := value(f.parts[0])
		return strings.TrimSpace(v), err
	}
	var b strings.Builder
	for _, p := range f.parts {
		v, err := value(p)
		if err != nil {
			return "", err
		}
		b.WriteString(v)
	}
	return strings.TrimSpace(b.String()), nil
}

// fieldTo is a field and where its rendering goes; a keep one leaves what
// is there when it renders "" (a name defaulting to the key).
type fieldTo struct {
	f    *field
	dst  *string
	keep bool
}

// renderTo renders each field over data into its string, in order, and
// stops at the first error.
func renderTo(data *recordValues, fields ...fieldTo) error {
	for _, t := range fields {
		v, err := t.f.render(data)
		if err != nil {
			return err
		}
		if v != "" || !t.keep {
			*t.dst = v
		}
	}
	return nil
}

// unwrapExec shortens text/template's error, which repeats the template name
// and position, to its last clause ("map has no entry for key \"mail\"").
func unwrapExec(err error) error {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return fmt.Errorf("%s", msg[i+2:])
	}
	return err
}

// recordValues are a record's attributes as templates see them: each
// attribute's first value. The map text/template needs is made only when
// a template that is not simple renders. It holds the record's fields,
// not the record, so that a record on the stack stays there.
type recordValues struct {
	attrs map[string][]string
	cols  *Columns
	row   string
	ends  []uint32
	data  map[string]string
}

// recordData returns the values of a record's attributes.
func recordData(r *Record) *recordValues {
	return &recordValues{attrs: r.Attrs, cols: r.Columns, row: r.Row, ends: r.Ends}
}

// get returns an attribute's first value ("" when it has none), and
// whether the record has the attribute.
func (v *recordValues) get(name string) (string, bool) {
	r := Record{Attrs: v.attrs, Columns: v.cols, Row: v.row, Ends: v.ends}
	return r.Lookup(name)
}

// asMap flattens the attributes to their first values.
func (v *recordValues) asMap() map[string]string {
	if v.data == nil {
		if v.cols != nil {
			n := min(len(v.cols.names), len(v.ends))
			v.data = make(map[string]string, n)
			for i, name := range v.cols.names[:n] {
				if _, dup := v.data[name]; !dup {
					v.data[name] = rowValue(v.row, v.ends, i)
				}
			}
			return v.data
		}
		v.data = make(map[string]string, len(v.attrs))
		for k, vs := range v.attrs {
			if len(vs) > 0 {
				v.data[k] = vs[0]
			} else {
				v.data[k] = ""
			}
		}
	}
	return v.data
}
