package mapping

import (
	"fmt"
	"github.com/orgbridge/orgbridge/internal/config"
	"strings"
	"text/template"
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
	return &field{key: key, tmpl: t}, nil
}

// render executes the field over a record's attributes and trims the result.
func (f *field) render(data map[string]string) (string, error) {
	if f == nil {
		return "", nil
	}
	var b strings.Builder
	if err := f.tmpl.Execute(&b, data); err != nil {
		return "", fmt.Errorf("%s: %w", f.key, unwrapExec(err))
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
func renderTo(data map[string]string, fields ...fieldTo) error {
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

// recordData flattens a record's attributes to their first values.
func recordData(r Record) map[string]string {
	data := make(map[string]string, len(r.Attrs))
	for k, v := range r.Attrs {
		if len(v) > 0 {
			data[k] = v[0]
		} else {
			data[k] = ""
		}
	}
	return data
}
