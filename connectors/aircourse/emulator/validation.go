package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

// Laravel's Japanese validation messages (laravel-lang "ja"). The attribute
// is the field key itself, indexed for array elements ("adminUserIds.1").
func msgRequired(a string) string { return a + "は必須項目です。" }
func msgString(a string) string   { return a + "は文字列を指定してください。" }
func msgMax(a string, n int) string {
	return fmt.Sprintf("%sは、%d文字以下で指定してください。", a, n)
}
func msgEmail(a string) string {
	return a + "には、有効なメールアドレスを指定してください。"
}
func msgIn(a string) string      { return "選択された" + a + "は、有効ではありません。" }
func msgBoolean(a string) string { return a + "は、trueかfalseを指定してください。" }
func msgInteger(a string) string { return a + "は整数で指定してください。" }
func msgArray(a string) string   { return a + "は配列で指定してください。" }
func msgDate(a string) string    { return a + "はY-m-d形式で指定してください。" }
func msgStartsWith(a, prefix string) string {
	return a + "には、" + prefix + "で始まる値を指定してください。"
}
func msgExists(a string) string { return "選択された" + a + "は正しくありません。" }
func msgUnique(a string) string { return a + "の値は既に存在しています。" }
func msgRequiredWithout(a, other string) string {
	return other + "を指定しない場合は、" + a + "を指定してください。"
}
func msgMinNumber(a string, n int) string {
	return fmt.Sprintf("%sには、%d以上の数字を指定してください。", a, n)
}
func msgMaxNumber(a string, n int) string {
	return fmt.Sprintf("%sには、%d以下の数字を指定してください。", a, n)
}
func msgAfterOrEqual(a, other string) string {
	return a + "には、" + other + "以降の日付を指定してください。"
}
func msgRootFixed(a string) string { return "ルート組織の" + a + "は変更できません。" }
func msgEveryoneFixed(a string) string {
	return "全員グループの" + a + "は変更できません。"
}

// errorBag collects validation errors in the order they were found, one
// message per key (Laravel's).
type errorBag struct{ emukit.Errors }

// unprocessable is the 422 answer: the first message and every error.
func (b *errorBag) unprocessable() response {
	return emukit.JSON(http.StatusUnprocessableEntity, struct {
		Message string    `json:"message"`
		Errors  *errorBag `json:"errors"`
	}{b.First(), b})
}

// unprocessable422 answers 422 with a single error.
func unprocessable422(key, msg string) response {
	var b errorBag
	b.Add(key, msg)
	return b.unprocessable()
}

// field is one validated input value.
type field[T any] struct {
	present bool // the key was in the body
	null    bool // its value was null or "" (Laravel's ConvertEmptyStringsToNull)
	ok      bool // no error was recorded for it
	v       T
}

// set reports a valid non-null value.
func (f field[T]) set() bool { return f.present && !f.null && f.ok }

// change reports a valid value (possibly null) to store.
func (f field[T]) change() bool { return f.present && f.ok }

// checker validates one JSON body. On update (partial) an absent required
// field is fine, but a present one must not be null.
type checker struct {
	in     body
	update bool
	errs   errorBag
}

func isNullish(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return bytes.Equal(t, []byte("null")) || bytes.Equal(t, []byte(`""`))
}

// given reports whether key holds a non-null value.
func (c *checker) given(key string) bool {
	raw, ok := c.in[key]
	return ok && !isNullish(raw)
}

func (c *checker) fail(key, msg string) { c.errs.Add(key, msg) }

// reject records msg for key and marks f invalid, so that it is not stored.
func (f *field[T]) reject(c *checker, key, msg string) {
	c.fail(key, msg)
	f.ok = false
}

// start handles presence and nullness; it returns the raw value to check
// further, or nil when there is nothing more to check.
func start[T any](c *checker, key string, required bool) (field[T], json.RawMessage) {
	f := field[T]{ok: true}
	raw, present := c.in[key]
	f.present = present
	switch {
	case !present:
		if required && !c.update {
			f.reject(c, key, msgRequired(key))
		}
		return f, nil
	case isNullish(raw):
		f.null = true
		if required {
			f.reject(c, key, msgRequired(key))
		}
		return f, nil
	}
	return f, raw
}

// str validates a string of at most max characters (max 0: no bound).
func (c *checker) str(key string, required bool, max int) field[string] {
	f, raw := start[string](c, key, required)
	if raw == nil {
		return f
	}
	if err := json.Unmarshal(raw, &f.v); err != nil {
		f.reject(c, key, msgString(key))
		return f
	}
	if max > 0 && utf8.RuneCountInString(f.v) > max {
		f.reject(c, key, msgMax(key, max))
	}
	return f
}

// email validates an optional email address of at most max characters.
func (c *checker) email(key string, max int) field[string] {
	f := c.str(key, false, max)
	if f.set() && !validEmail(f.v) {
		f.reject(c, key, msgEmail(key))
	}
	return f
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-1
}

// enum validates a string that must be one of allowed.
func (c *checker) enum(key string, required bool, allowed ...string) field[string] {
	f, raw := start[string](c, key, required)
	if raw == nil {
		return f
	}
	if err := json.Unmarshal(raw, &f.v); err != nil || !slices.Contains(allowed, f.v) {
		f.reject(c, key, msgIn(key))
	}
	return f
}

// boolean validates a JSON true or false.
func (c *checker) boolean(key string, required bool) field[bool] {
	f, raw := start[bool](c, key, required)
	if f.null && f.ok && !required {
		f.reject(c, key, msgBoolean(key)) // not nullable
	}
	if raw == nil {
		return f
	}
	if err := json.Unmarshal(raw, &f.v); err != nil {
		f.reject(c, key, msgBoolean(key))
	}
	return f
}

var intRE = regexp.MustCompile(`^-?[0-9]+$`)

// intEnum validates a JSON integer that must be one of allowed; nullable
// lets null (or "") through.
func (c *checker) intEnum(key string, nullable bool, allowed ...int) field[int] {
	f, raw := start[int](c, key, false)
	if f.null && !nullable {
		f.reject(c, key, msgInteger(key))
	}
	if raw == nil {
		return f
	}
	t := string(bytes.TrimSpace(raw))
	if !intRE.MatchString(t) {
		f.reject(c, key, msgInteger(key))
		return f
	}
	n, err := strconv.Atoi(t)
	if err != nil || !slices.Contains(allowed, n) {
		f.reject(c, key, msgIn(key))
		return f
	}
	f.v = n
	return f
}

var dateRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)

// date validates a nullable YYYY-MM-DD date.
func (c *checker) date(key string) field[string] {
	f := c.str(key, false, 0)
	if f.set() && !validDate(f.v) {
		f.reject(c, key, msgDate(key))
	}
	return f
}

func validDate(s string) bool {
	if !dateRE.MatchString(s) {
		return false
	}
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

// array validates an array whose elements are checked by each (called with
// the indexed key, e.g. "adminUserIds.1"). required means present and not
// null; an empty array is fine. Elements that fail are left out of v.
func (c *checker) array(key string, required bool, each func(key string, raw json.RawMessage) (string, bool)) field[[]string] {
	f := field[[]string]{ok: true}
	raw, present := c.in[key]
	f.present = present
	if !present {
		if required && !c.update {
			f.reject(c, key, msgRequired(key))
		}
		return f
	}
	if isNullish(raw) {
		f.null = true
		if required {
			c.fail(key, msgRequired(key))
		} else {
			c.fail(key, msgArray(key))
		}
		f.ok = false
		return f
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil || elems == nil {
		f.reject(c, key, msgArray(key))
		return f
	}
	f.v = []string{}
	for i, e := range elems {
		v, ok := each(key+"."+strconv.Itoa(i), e)
		if !ok {
			f.ok = false
			continue
		}
		if !slices.Contains(f.v, v) {
			f.v = append(f.v, v)
		}
	}
	return f
}

// idElem checks an array element that must be an existing id with prefix.
func (c *checker) idElem(prefix string, exists func(string) bool) func(string, json.RawMessage) (string, bool) {
	return func(key string, raw json.RawMessage) (string, bool) {
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			c.fail(key, msgString(key))
			return "", false
		}
		return v, c.checkID(key, v, prefix, exists)
	}
}

// enumElem checks an array element that must be one of allowed.
func (c *checker) enumElem(allowed ...string) func(string, json.RawMessage) (string, bool) {
	return func(key string, raw json.RawMessage) (string, bool) {
		var v string
		if err := json.Unmarshal(raw, &v); err != nil || !slices.Contains(allowed, v) {
			c.fail(key, msgIn(key))
			return "", false
		}
		return v, true
	}
}

// checkID checks that v starts with prefix and names an existing resource.
func (c *checker) checkID(key, v, prefix string, exists func(string) bool) bool {
	if !strings.HasPrefix(v, prefix) {
		c.fail(key, msgStartsWith(key, prefix))
		return false
	}
	if !exists(v) {
		c.fail(key, msgExists(key))
		return false
	}
	return true
}

// ref validates a single id field (parentId, organizationId, userId).
func (c *checker) ref(key string, required bool, prefix string, exists func(string) bool) field[string] {
	f := c.str(key, required, 0)
	if f.set() && !c.checkID(key, f.v, prefix, exists) {
		f.ok = false
	}
	return f
}

// discussion reads the discussion setting: isEnableDiscussion wins, the
// deprecated isEnableKnowledge is used (and checked) only without it. On
// create one of them is required.
func (c *checker) discussion() field[bool] {
	if c.given("isEnableDiscussion") || !c.given("isEnableKnowledge") {
		if !c.update && !c.given("isEnableDiscussion") {
			c.fail("isEnableDiscussion", msgRequiredWithout("isEnableDiscussion", "isEnableKnowledge"))
			return field[bool]{present: c.has("isEnableDiscussion")}
		}
		return c.boolean("isEnableDiscussion", true)
	}
	return c.boolean("isEnableKnowledge", true)
}

// fixed returns the check of the fields a record keeps whatever an update
// sends (on: the record is the root organization or the everyone group):
// it reports, and rejects with msg, such a field that was sent.
func (c *checker) fixed(on bool, msg func(key string) string) func(key string) bool {
	return func(key string) bool {
		if on && c.has(key) {
			c.fail(key, msg(key))
			return true
		}
		return false
	}
}

// discussionUnless is discussion, unless the setting sent is one fixed
// rejects (the first of isEnableDiscussion and isEnableKnowledge sent).
func (c *checker) discussionUnless(fixed func(key string) bool) field[bool] {
	if fixed("isEnableDiscussion") || fixed("isEnableKnowledge") {
		return field[bool]{}
	}
	return c.discussion()
}

// code validates an organization's or a group's optional code: at most 10
// characters, held by no record but self (taken says which is).
func (c *checker) code(taken func(code, self string) bool, self string) field[string] {
	f := c.str("code", false, 10)
	if f.set() && taken(f.v, self) {
		c.fail("code", msgUnique("code"))
	}
	return f
}

// codeTaken reports whether a record of recs other than self has code,
// compared case-insensitively as a MySQL _ci collation would; codeOf reads
// a record's code (nil: none).
func codeTaken[R any](recs map[string]*R, code, self string, codeOf func(*R) *string) bool {
	for id, r := range recs {
		if c := codeOf(r); id != self && c != nil && strings.EqualFold(*c, code) {
			return true
		}
	}
	return false
}

func (c *checker) has(key string) bool { _, ok := c.in[key]; return ok }

// applySet stores a validated value that was sent and is not null (an
// absent or null field leaves *dst as it is).
func applySet[T any](dst *T, f field[T]) {
	if f.set() {
		*dst = f.v
	}
}

// applyStr stores a validated optional string: null clears it.
func applyStr(dst **string, f field[string]) {
	if !f.change() {
		return
	}
	if f.null {
		*dst = nil
		return
	}
	*dst = strPtr(f.v)
}

func optStr(f field[string]) *string {
	if f.set() {
		return strPtr(f.v)
	}
	return nil
}
