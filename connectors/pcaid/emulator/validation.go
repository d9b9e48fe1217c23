package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

// Validation messages; the attribute is the field's key ("users.3.email").
func msgRequired(a string) string { return a + "は必須です。" }
func msgString(a string) string   { return a + "は文字列で指定してください。" }
func msgMax(a string, n int) string {
	return fmt.Sprintf("%sは%d文字以内で指定してください。", a, n)
}
func msgEmail(a string) string {
	return a + "はメールアドレスの形式で指定してください。"
}
func msgUnique(a string) string  { return a + "は既に使用されています。" }
func msgBoolean(a string) string { return a + "はtrueまたはfalseで指定してください。" }
func msgArray(a string) string   { return a + "は配列で指定してください。" }
func msgObject(a string) string  { return a + "はオブジェクトで指定してください。" }
func msgExists(a string) string  { return a + "に指定されたものが存在しません。" }
func msgIn(a string) string      { return a + "に指定された値は不正です。" }
func msgCode(a string) string {
	return a + "は半角英数字、ハイフン、アンダースコアで指定してください。"
}
func msgRange(a string, lo, hi int) string {
	return fmt.Sprintf("%sは%d以上%d以下の整数で指定してください。", a, lo, hi)
}
func msgMinItems(a string) string { return a + "は1件以上指定してください。" }
func msgMaxItems(a string, n int) string {
	return fmt.Sprintf("%sは%d件以内で指定してください。", a, n)
}

// Field limits of the contract.
const (
	maxEmail          = 254
	maxUserName       = 100
	maxEmployeeNumber = 20
	maxDepartment     = 100
	maxPosition       = 100
	maxPartitionName  = 50
	maxPartitionCode  = 20
	maxDescription    = 200
	maxImportRows     = 10000
)

var codeRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// errorBag collects validation errors in the order found, one message per
// key, and encodes them as {"key":["message"]} in that order.
type errorBag struct{ emukit.Errors }

// allTaken reports a bag whose every error is a value already in use
// (msgUnique): a conflict rather than a bad value.
func (b *errorBag) allTaken() bool {
	if b == nil || b.Empty() {
		return false
	}
	for _, k := range b.Keys() {
		if b.Message(k) != msgUnique(k) {
			return false
		}
	}
	return true
}

// unprocessable is the 422 answer: the first message and every error.
func (b *errorBag) unprocessable() response {
	return emukit.JSON(http.StatusUnprocessableEntity, apiError{
		Code: "VALIDATION_ERROR", Message: b.First(), Errors: b,
	})
}

// body is a decoded JSON object, values kept raw so that absent, null and
// mistyped fields can be told apart.
type body = emukit.Object

// Values of an optional string field.
type strField struct {
	present bool    // the key was sent
	value   *string // nil: null or "" (cleared)
}

// reader validates the fields of one object, reporting errors under
// prefix+key.
type reader struct {
	in     body
	prefix string
	errs   *errorBag
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// str reads a string field: absent, null or "" is no value (an error when
// required); a non-string is an error; max counts characters.
func (r reader) str(key string, required bool, max int) strField {
	name := r.prefix + key
	raw, ok := r.in[key]
	if !ok || isNull(raw) {
		if required {
			r.errs.Add(name, msgRequired(name))
		}
		return strField{present: ok}
	}
	var v string
	if json.Unmarshal(raw, &v) != nil {
		r.errs.Add(name, msgString(name))
		return strField{present: true}
	}
	if v == "" {
		if required {
			r.errs.Add(name, msgRequired(name))
		}
		return strField{present: true}
	}
	if utf8.RuneCountInString(v) > max {
		r.errs.Add(name, msgMax(name, max))
		return strField{present: true}
	}
	return strField{present: true, value: &v}
}

// email reads an email field: a bare address with a domain.
func (r reader) email(key string, required bool) strField {
	f := r.str(key, required, maxEmail)
	if f.value != nil {
		a, err := mail.ParseAddress(*f.value)
		if err != nil || a.Address != *f.value || a.Name != "" || !strings.Contains(a.Address[strings.LastIndex(a.Address, "@")+1:], ".") {
			r.errs.Add(r.prefix+key, msgEmail(r.prefix+key))
			return strField{present: true}
		}
	}
	return f
}

// code reads an optional code: letters, digits, '-' and '_'.
func (r reader) code(key string, max int) strField {
	f := r.str(key, false, max)
	if f.value != nil && !codeRE.MatchString(*f.value) {
		r.errs.Add(r.prefix+key, msgCode(r.prefix+key))
		return strField{present: true}
	}
	return f
}

// boolean reads an optional JSON boolean; absent or null is def.
func (r reader) boolean(key string, def bool) bool {
	raw, ok := r.in[key]
	if !ok || isNull(raw) {
		return def
	}
	var v bool
	if json.Unmarshal(raw, &v) != nil {
		r.errs.Add(r.prefix+key, msgBoolean(r.prefix+key))
		return def
	}
	return v
}

// ids reads a required, non-empty array of strings; repeats are taken once.
func (r reader) ids(key string) []string {
	name := r.prefix + key
	raw, ok := r.in[key]
	if !ok || isNull(raw) {
		r.errs.Add(name, msgRequired(name))
		return nil
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		r.errs.Add(name, msgArray(name))
		return nil
	}
	if len(list) == 0 {
		r.errs.Add(name, msgMinItems(name))
		return nil
	}
	var out []string
	for i, e := range list {
		var s string
		if json.Unmarshal(e, &s) != nil || s == "" {
			r.errs.Add(fmt.Sprintf("%s.%d", name, i), msgString(fmt.Sprintf("%s.%d", name, i)))
			continue
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
