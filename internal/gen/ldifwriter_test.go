package gen_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/internal/gen"
)

func TestLDIFSafe(t *testing.T) {
	for v, want := range map[string]bool{
		"": true, "abc": true, "a b": true, "a:b": true, "user@example.jp": true,
		" lead": false, "trail ": false, ":colon": false, "<url": false,
		"本社": false, "a\nb": false, "a\rb": false, "a\x00b": false,
	} {
		if got := gen.LDIFSafe(v); got != want {
			t.Errorf("LDIFSafe(%q) = %v", v, got)
		}
	}
}

func TestLDIFWriterEntry(t *testing.T) {
	var b strings.Builder
	w := gen.NewLDIFWriter(&b, 0)
	w.Entry("ou=本社,dc=example,dc=jp", [2]string{"objectClass", "organizationalUnit"}, [2]string{"ou", "本社"})
	w.Line("dn", "cn=a,dc=example,dc=jp")
	w.Line("description", " leading space")
	w.End()
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	want := "dn:: " + b64("ou=本社,dc=example,dc=jp") + "\n" +
		"objectClass: organizationalUnit\n" +
		"ou:: " + b64("本社") + "\n\n" +
		"dn: cn=a,dc=example,dc=jp\n" +
		"description:: " + b64(" leading space") + "\n\n"
	if got := b.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
