package httpkit

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// rawObject, rawArray and Scalar's plain-string path must give what
// encoding/json gives, errors included.
func TestRawObjectIsEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`{}`, ` { } `, `null`, `{"a":1}`,
		`{"id":"usr_1","n":null,"t":true,"f":false,"x":-1.5e3,"s":"a\"b\\c","u":"\u65e5本"}`,
		"{ \"a\" :\t[1, {\"b\": [\"]\", \"}\"]}] ,\n\"c\":{\"d\":\"{\"} }",
		`{"dup":1,"dup":2}`, `{"k\u0065y":"escaped name","k\"q":1}`,
		`{"bad utf8":"` + "\xff" + `"}`, `{"ctl":"a\tb"}`,
		`[1]`, `"text"`, `12`, `{"a":}`, `{"a":1`, `{"a" 1}`, ``, `{"a":1}x`,
	} {
		want, wantErr := slowObject([]byte(in))
		got, err := rawObject([]byte(in))
		if (err != nil) != (wantErr != nil) || (err != nil && err.Error() != wantErr.Error()) {
			t.Errorf("rawObject(%q) error = %v, want %v", in, err, wantErr)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("rawObject(%q) (-encoding/json +got):\n%s", in, diff)
		}
	}
}

func TestRawArrayIsEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`[]`, ` [ ] `, `[1,"a",null,[2,[3]],{"b":"]"}]`, `null`, ``, `{}`, `"s"`, `[1,]`, `[`,
	} {
		var want []json.RawMessage
		wantOK := json.Unmarshal([]byte(in), &want) == nil && want != nil
		got, ok := rawArray([]byte(in))
		if ok != wantOK {
			t.Errorf("rawArray(%q) ok = %v, want %v", in, ok, wantOK)
			continue
		}
		if diff := cmp.Diff(want, got); ok && diff != "" {
			t.Errorf("rawArray(%q) (-encoding/json +got):\n%s", in, diff)
		}
	}
}

func TestScalarStringsAreEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`"plain"`, `"日本語"`, `""`, `"a\nb"`, `"\u00e9"`, `"q\"q"`, "\"bad \xff utf8\"", "\"tab\there\"", `"unterminated`, `"a" "b"`,
	} {
		var want string
		if json.Unmarshal([]byte(in), &want) != nil {
			want = ""
		}
		if got := Scalar(json.RawMessage(in)); got != want {
			t.Errorf("Scalar(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMemberNamesFromManyGoroutines splits objects of more distinct names
// than are interned, from goroutines at once (as the pages of a list are
// decoded), each name read right whether it was interned or not.
func TestMemberNamesFromManyGoroutines(t *testing.T) {
	const names = maxKeyNames * 2
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range names {
				n := (i + g*97) % names
				in := fmt.Sprintf(`{"name%d":%d,"id":"x"}`, n, n)
				o, err := rawObject([]byte(in))
				if err != nil || string(o[fmt.Sprintf("name%d", n)]) != fmt.Sprint(n) || string(o["id"]) != `"x"` {
					errs <- fmt.Sprintf("rawObject(%s) = %v, %v", in, o, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n := len(*keyNames.Load()); n > maxKeyNames {
		t.Errorf("%d names interned, want at most %d", n, maxKeyNames)
	}
}
