package emulator

import (
	"net/http"
	"regexp"
	"strings"
)

// apiKey is a registered API key.
type apiKey struct {
	user    string
	revoked bool
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// AddAPIKey registers an API key owned by the user userID (a lower-case
// UUID) whose address is email: what the key's user creates is created_by
// userID, with management_email email. Registering a key again replaces its
// owner and un-revokes it. AddAPIKey panics on an empty key, a user id that
// is not a UUID or an empty email: a programming error in the caller.
func (s *Server) AddAPIKey(key, userID, email string) {
	if strings.TrimSpace(key) != key || key == "" {
		panic("emulator: AddAPIKey: the key must be non-empty, without surrounding spaces")
	}
	if !uuidRE.MatchString(userID) {
		panic("emulator: AddAPIKey: the user id must be a lower-case UUID")
	}
	if email == "" {
		panic("emulator: AddAPIKey: the user needs an email")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[key] = &apiKey{user: userID}
	s.users[userID] = email
}

// RevokeAPIKey makes key invalid: every request with it is answered 401.
func (s *Server) RevokeAPIKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k := s.keys[key]; k != nil {
		k.revoked = true
	}
}

// RevokeAPIKeys revokes every registered key (an API key cannot be renewed:
// the client must be given a new one).
func (s *Server) RevokeAPIKeys() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.keys {
		k.revoked = true
	}
}

// authenticate returns the owner of the request's API key: the raw value of
// the authorization header (surrounding white space trimmed, no scheme: a
// "Bearer " prefix makes it another, unknown key).
func (s *Server) authenticate(r *http.Request) (string, bool) {
	key := strings.TrimSpace(r.Header.Get("Authorization"))
	if key == "" {
		return "", false
	}
	k := s.keys[key]
	if k == nil || k.revoked {
		return "", false
	}
	return k.user, true
}
