package config

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// maxSyntaxScan bounds the lines syntaxLine re-parses: each try parses a
// prefix of the file, so a long file costs its length squared. Configs are
// hundreds of lines; past the bound yaml's own line is kept.
const maxSyntaxScan = 5000

var syntaxMsg = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// syntaxError rewrites a yaml syntax error so that it names the line that
// is wrong. yaml.v3 reports a parser error at its context mark, the start
// of the enclosing block ("did not find expected key" at `users:` for a
// bad indent fifty lines below it, or at `jobs:`), and an error on the
// first line at none, which sends a reader to the wrong place. The wrong
// line is found by re-parsing: the longest prefix of whole lines that
// still parses is where the file was right, so the next line is where it
// goes wrong (a bad indent, an unclosed quote or bracket, a tab). A valid
// construct spread over several lines (a flow list, a quoted scalar) does
// not mislead it: the longest prefix that parses ends after it. ok is
// false for an error that is not a syntax error (a *yaml.TypeError).
func syntaxError(name string, data []byte, err error) (msg string, ok bool) {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return "", false
	}
	m := syntaxMsg.FindStringSubmatch(err.Error())
	if m == nil {
		return "", false
	}
	reported := 1
	if m[1] != "" {
		reported, _ = strconv.Atoi(m[1])
	}
	return fmt.Sprintf("%s:%d: %s", name, syntaxLine(data, reported), m[2]), true
}

// syntaxLine returns the 1-based line after the longest prefix of data
// that parses, or reported when no prefix from reported-1 on does (or the
// file is too long to re-parse).
func syntaxLine(data []byte, reported int) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) > maxSyntaxScan || reported < 1 {
		return reported
	}
	end := len(data)
	// Try the prefixes from the longest down; the first that parses is the
	// longest. A parser's context mark is never after the wrong line, so
	// prefixes shorter than the block yaml named need not be tried.
	for k := len(lines) - 1; k >= reported-1 && k >= 0; k-- {
		end -= len(lines[k])
		var n yaml.Node
		if yaml.Unmarshal(data[:end], &n) == nil {
			return k + 1
		}
	}
	return reported
}
