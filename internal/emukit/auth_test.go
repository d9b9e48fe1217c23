package emukit

import (
	"errors"
	"net/http/httptest"
	"testing"
)

func TestBearerToken(t *testing.T) {
	for _, tc := range []struct {
		header string
		token  string
		ok     bool
	}{
		{"Bearer abc", "abc", true},
		{"  bearer   abc  ", "abc", true},
		{"BEARER abc", "abc", true},
		{"Bearer", "", false},
		{"Bearer  ", "", false},
		{"Basic abc", "abc", false},
		{"", "", false},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		token, ok := BearerToken(r)
		if ok != tc.ok || (ok && token != tc.token) {
			t.Errorf("BearerToken(%q) = %q, %v; want %q, %v", tc.header, token, ok, tc.token, tc.ok)
		}
	}
}

func TestParseForm(t *testing.T) {
	for _, tc := range []struct {
		ctype, body string
		grant       string
		err         error // nil: no error; errAny: some other error
	}{
		{"application/x-www-form-urlencoded", "grant_type=client_credentials", "client_credentials", nil},
		{"application/x-www-form-urlencoded; charset=utf-8", "grant_type=x", "x", nil},
		{"application/json", `{"grant_type":"x"}`, "", ErrNotForm},
		{"", "grant_type=x", "", ErrNotForm},
		{"application/x-www-form-urlencoded", "grant_type=%zz", "", errAny},
	} {
		form, err := ParseForm(tc.ctype, []byte(tc.body))
		switch {
		case tc.err == nil && err != nil:
			t.Errorf("ParseForm(%q, %q): %v", tc.ctype, tc.body, err)
		case tc.err == nil && form.Get("grant_type") != tc.grant:
			t.Errorf("ParseForm(%q, %q): grant_type %q, want %q", tc.ctype, tc.body, form.Get("grant_type"), tc.grant)
		case tc.err == ErrNotForm && !errors.Is(err, ErrNotForm):
			t.Errorf("ParseForm(%q, %q): error %v, want ErrNotForm", tc.ctype, tc.body, err)
		case tc.err == errAny && (err == nil || errors.Is(err, ErrNotForm)):
			t.Errorf("ParseForm(%q, %q): error %v, want a parse error", tc.ctype, tc.body, err)
		}
	}
}

var errAny = errors.New("any error")

func TestSecretEqual(t *testing.T) {
	for _, tc := range []struct {
		known, given string
		want         bool
	}{
		{"s3cret", "s3cret", true},
		{"s3cret", "s3cre", false},
		{"s3cret", "", false},
		{"", "", false},
	} {
		if got := SecretEqual(tc.known, tc.given); got != tc.want {
			t.Errorf("SecretEqual(%q, %q) = %v, want %v", tc.known, tc.given, got, tc.want)
		}
	}
}
