package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// FieldError is one problem with one key of the config. Key is a path
// ("jobs[0].target.aircourse.page_size"); a connector's Validate returns
// keys below its own block ("page_size"), and Load puts them under the
// block's path. File and Line are set by Locate when the key (or its
// nearest parent) is in the file.
type FieldError struct {
	Key     string
	Message string
	File    string
	Line    int
}

// Error is "file:line: key: message", with as much of it as is known.
func (e *FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Problems gathers the problems of one check, so that a config with several
// mistakes is reported whole rather than one error per attempt.
type Problems struct {
	errs []error
}

// Add records a problem with key.
func (p *Problems) Add(key, format string, args ...any) {
	p.errs = append(p.errs, &FieldError{Key: key, Message: fmt.Sprintf(format, args...)})
}

// Merge records every problem of err (nil is ignored), each FieldError's
// key put under prefix ("jobs[0].target.aircourse"); an error that names no
// key is recorded under prefix itself.
func (p *Problems) Merge(prefix string, err error) {
	for _, e := range SplitErrors(err) {
		var fe *FieldError
		if errors.As(e, &fe) {
			p.errs = append(p.errs, &FieldError{Key: joinKey(prefix, fe.Key), Message: fe.Message, File: fe.File, Line: fe.Line})
			continue
		}
		p.errs = append(p.errs, &FieldError{Key: prefix, Message: e.Error()})
	}
}

// Len is the number of problems recorded.
func (p *Problems) Len() int { return len(p.errs) }

// Err joins the problems in the order they were added; nil when there are
// none. Each joined error is a *FieldError.
func (p *Problems) Err() error { return errors.Join(p.errs...) }

// SplitErrors lists the errors an errors.Join (possibly nested) holds; any
// other error is a list of one. nil is an empty list. validate lists the
// problems of a config by it, one a line.
func SplitErrors(err error) []error {
	if err == nil {
		return nil
	}
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range joined.Unwrap() {
		out = append(out, SplitErrors(e)...)
	}
	return out
}

// Under puts the keys of err's problems under prefix, like Merge; for the
// errors of a connector's Open, which the caller reports as they are.
func Under(prefix string, err error) error {
	var p Problems
	p.Merge(prefix, err)
	return p.Err()
}

func joinKey(prefix, key string) string {
	switch {
	case prefix == "":
		return key
	case key == "":
		return prefix
	case strings.HasPrefix(key, "["):
		return prefix + key
	}
	return prefix + "." + key
}

// locator finds the line of a key path in a decoded YAML document.
type locator struct {
	file string
	root *yaml.Node
}

// Locate sets the file and line of each FieldError in err whose key is
// in the file (the line of the deepest part of the key that is: the block
// of a missing key). Other errors are kept as they are.
func (l locator) Locate(err error) error {
	errs := SplitErrors(err)
	if len(errs) == 0 {
		return nil
	}
	out := make([]error, 0, len(errs))
	for _, e := range errs {
		var fe *FieldError
		if !errors.As(e, &fe) {
			out = append(out, e)
			continue
		}
		located := *fe
		located.File = l.file
		located.Line = l.line(fe.Key)
		out = append(out, &located)
	}
	return errors.Join(out...)
}

// line walks the key path ("jobs[0].target.aircourse.page_size") down the
// document and returns the line of the deepest node found; 0 without a
// document.
func (l locator) line(key string) int {
	n := l.root
	if n == nil {
		return 0
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, part := range keyParts(key) {
		next := child(n, part)
		if next == nil {
			break
		}
		n = next
		line = n.Line
	}
	return line
}

// keyParts splits "jobs[0].target.scopes[1]" into jobs, [0], target,
// scopes, [1].
func keyParts(key string) []string {
	var parts []string
	for _, dotted := range strings.Split(key, ".") {
		for dotted != "" {
			i := strings.IndexByte(dotted[1:], '[')
			if i < 0 {
				parts = append(parts, dotted)
				break
			}
			parts = append(parts, dotted[:i+1])
			dotted = dotted[i+1:]
		}
	}
	return parts
}

// child is the value of a mapping's key, or a sequence's item ("[2]"); for
// a mapping it returns the key node, whose line is the one a reader looks
// for.
func child(n *yaml.Node, part string) *yaml.Node {
	if strings.HasPrefix(part, "[") && strings.HasSuffix(part, "]") {
		i, err := strconv.Atoi(part[1 : len(part)-1])
		if err != nil || n.Kind != yaml.SequenceNode || i < 0 || i >= len(n.Content) {
			return nil
		}
		return n.Content[i]
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == part {
			v := n.Content[i+1]
			// A scalar's line is its key's; a block's key line reads
			// better than the line of its first entry.
			return &yaml.Node{Kind: v.Kind, Content: v.Content, Line: n.Content[i].Line, Value: v.Value}
		}
	}
	return nil
}
