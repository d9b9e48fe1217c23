package emukit

import (
	"crypto/subtle"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// ErrNotForm is ParseForm's error for a body not sent as
// application/x-www-form-urlencoded.
var ErrNotForm = errors.New("the body must be application/x-www-form-urlencoded")

// ParseForm decodes the body of an OAuth2 token request (RFC 6749 4.4.2):
// sent as application/x-www-form-urlencoded (else ErrNotForm) and a valid
// form (else url.ParseQuery's error).
func ParseForm(contentType string, raw []byte) (url.Values, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, ErrNotForm
	}
	return url.ParseQuery(string(raw))
}

// SecretEqual reports whether given is the client secret known: not empty,
// and compared in constant time, so that the time of a refusal does not
// tell how much of a guess was right.
func SecretEqual(known, given string) bool {
	return given != "" && subtle.ConstantTimeCompare([]byte(known), []byte(given)) == 1
}

// BearerToken reads "Authorization: Bearer <token>" (RFC 6750 2.1): the
// header trimmed, the scheme before its first space matched
// case-insensitively (RFC 7235), the token trimmed. ok is false when the
// header holds no such token.
func BearerToken(r *http.Request) (token string, ok bool) {
	scheme, tok, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	tok = strings.TrimSpace(tok)
	return tok, strings.EqualFold(scheme, "Bearer") && tok != ""
}
