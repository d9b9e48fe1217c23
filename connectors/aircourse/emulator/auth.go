package emulator

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

// token is an issued access token.
type token struct {
	read, write bool
	expires     time.Time
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// AddClient registers an API client allowed the read and write scopes.
// clientID must be a UUID (AddClient panics otherwise: it is a programming
// error in the caller). Registering an id again replaces its secret.
func (s *Server) AddClient(clientID, clientSecret string) {
	if !uuidRE.MatchString(clientID) {
		panic("emulator: AddClient: client id must be a UUID")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[strings.ToLower(clientID)] = clientSecret
}

// ExpireTokens invalidates every issued token: the next request that uses
// one is answered 401.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]token{}
}

// oauthError is the error body of the token endpoint (Laravel Passport's
// shape): error, error_description, hint and message.
func oauthError(status int, code, desc, hint string) response {
	b := map[string]string{"error": code, "error_description": desc, "message": desc}
	if hint != "" {
		b["hint"] = hint
	}
	return emukit.JSON(status, b)
}

const (
	descInvalidRequest = "The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed."
	descUnsupported    = "The authorization grant type is not supported by the authorization server."
	descInvalidClient  = "Client authentication failed"
	descInvalidScope   = "The requested scope is invalid, unknown, or malformed"
)

// issueToken serves POST /oauth/token.
func (s *Server) issueToken(r *http.Request, raw []byte, now time.Time) response {
	form, err := emukit.ParseForm(r.Header.Get("Content-Type"), raw)
	switch {
	case errors.Is(err, emukit.ErrNotForm):
		form = url.Values{} // read as an empty form: no grant_type
	case err != nil:
		return oauthError(http.StatusBadRequest, "invalid_request", descInvalidRequest, "")
	}
	if form.Get("grant_type") != "client_credentials" {
		return oauthError(http.StatusBadRequest, "unsupported_grant_type", descUnsupported, "")
	}
	clientID := form.Get("client_id")
	if clientID == "" {
		return oauthError(http.StatusBadRequest, "invalid_request", descInvalidRequest, "Check the `client_id` parameter")
	}
	secret, known := s.clients[strings.ToLower(clientID)]
	given := form.Get("client_secret")
	if !uuidRE.MatchString(clientID) || !known || !emukit.SecretEqual(secret, given) {
		return oauthError(http.StatusUnauthorized, "invalid_client", descInvalidClient, "")
	}
	t := token{expires: now.Add(s.ttl)}
	// The document's separator is "," only (League OAuth2 with its scope
	// delimiter set to ","): the string is trimmed, split on commas and empty
	// parts dropped, so "read write" is one unknown scope.
	var scopes []string
	for _, sc := range strings.Split(strings.TrimSpace(form.Get("scope")), ",") {
		if sc != "" {
			scopes = append(scopes, sc)
		}
	}
	if len(scopes) == 0 {
		scopes = []string{"read", "write"}
	}
	for _, sc := range scopes {
		switch sc {
		case "read":
			t.read = true
		case "write":
			t.write = true
		default:
			return oauthError(http.StatusBadRequest, "invalid_scope", descInvalidScope, "Check the `"+sc+"` scope")
		}
	}
	if len(s.tokens) >= 10000 {
		for k, old := range s.tokens {
			if !now.Before(old.expires) {
				delete(s.tokens, k)
			}
		}
	}
	access := randomAlnum(64)
	s.tokens[access] = t
	return emukit.JSON(http.StatusOK, map[string]any{
		"token_type":   "Bearer",
		"expires_in":   int(s.ttl / time.Second),
		"access_token": access,
	})
}

// bearerToken extracts the token of an "Authorization: Bearer <token>"
// header as Laravel Passport (League OAuth2's BearerTokenValidator,
// /^\s*Bearer\s/) does: the scheme is "Bearer" exactly, as the document
// writes it, followed by white space.
func bearerToken(h string) (string, bool) {
	rest, ok := strings.CutPrefix(strings.TrimLeftFunc(h, unicode.IsSpace), "Bearer")
	if !ok || rest == "" || !unicode.IsSpace(rune(rest[0])) {
		return "", false
	}
	tok := strings.TrimSpace(rest)
	return tok, tok != ""
}

// authorize checks the bearer token and its scope: read for GET, write for
// everything else.
func (s *Server) authorize(r *http.Request, now time.Time) (response, bool) {
	tok, ok := bearerToken(r.Header.Get("Authorization"))
	if !ok {
		return message(http.StatusUnauthorized, msgUnauth), false
	}
	t, ok := s.tokens[tok]
	if !ok {
		return message(http.StatusUnauthorized, msgUnauth), false
	}
	if !now.Before(t.expires) {
		delete(s.tokens, tok)
		return message(http.StatusUnauthorized, msgUnauth), false
	}
	if (r.Method == http.MethodGet && !t.read) || (r.Method != http.MethodGet && !t.write) {
		return message(http.StatusForbidden, msgScope), false
	}
	return response{}, true
}
