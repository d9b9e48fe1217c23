package emulator

import (
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

// AddClient registers an OAuth2 client (a service account) allowed every
// call. Registering an id again replaces its secret. It panics on an empty
// id or secret: a programming error in the caller.
func (s *Server) AddClient(clientID, clientSecret string) {
	if clientID == "" || clientSecret == "" {
		panic("emulator: AddClient: client id and secret must be non-empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[clientID] = clientSecret
}

// ExpireTokens invalidates every issued token: the next request that uses
// one is answered 401 invalid_token.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]time.Time{}
}

// oauthError is the error body of the token endpoint (RFC 6749 5.2), with
// "message" too, as the API's other errors have.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Message     string `json:"message"`
}

func tokenError(status int, code, desc string) response {
	return emukit.JSON(status, oauthError{Error: code, Description: desc, Message: desc})
}

// issueToken serves POST /oauth2/token: grant_type=client_credentials with
// the client authenticated by HTTP Basic (client_secret_basic, RFC 6749
// 2.3.1: id and secret form-encoded first) or in the form
// (client_secret_post), not both. scope is optional and any value is
// granted (the document names no scopes); it is echoed back.
func (s *Server) issueToken(r *http.Request, raw []byte, readErr error, now time.Time) response {
	if readErr != nil {
		return tokenError(http.StatusBadRequest, "invalid_request", "The request body could not be read.")
	}
	form, err := emukit.ParseForm(r.Header.Get("Content-Type"), raw)
	switch {
	case errors.Is(err, emukit.ErrNotForm):
		return tokenError(http.StatusBadRequest, "invalid_request", "The token request must be application/x-www-form-urlencoded.")
	case err != nil:
		return tokenError(http.StatusBadRequest, "invalid_request", "The token request body is malformed.")
	}
	switch gt := form.Get("grant_type"); gt {
	case "client_credentials":
	case "":
		return tokenError(http.StatusBadRequest, "invalid_request", "The grant_type parameter is required.")
	default:
		return tokenError(http.StatusBadRequest, "unsupported_grant_type", "Only the client_credentials grant is supported.")
	}
	id, secret, basic, problem := clientCredentials(r, form)
	if problem != "" {
		return tokenError(http.StatusBadRequest, "invalid_request", problem)
	}
	if basic && s.readings.Has(ReadingTokenClientSecretPost) {
		// A server that registered its clients for client_secret_post
		// only: HTTP Basic is not a way it authenticates them.
		return tokenError(http.StatusUnauthorized, "invalid_client",
			"Client authentication failed: send client_id and client_secret in the request body.")
	}
	known, ok := s.clients[id]
	if !ok || !emukit.SecretEqual(known, secret) {
		resp := tokenError(http.StatusUnauthorized, "invalid_client", "Client authentication failed.")
		if basic {
			resp.Header = http.Header{"Www-Authenticate": {`Basic realm="directory"`}}
		}
		return resp
	}
	if len(s.tokens) >= 10000 {
		for k, exp := range s.tokens {
			if !now.Before(exp) {
				delete(s.tokens, k)
			}
		}
	}
	access := rand.Text()
	s.tokens[access] = now.Add(s.ttl)
	body := map[string]any{
		"access_token": access,
		"token_type":   "Bearer",
		"expires_in":   int(s.ttl / time.Second),
	}
	if sc := strings.TrimSpace(form.Get("scope")); sc != "" {
		body["scope"] = sc
	}
	resp := emukit.JSON(http.StatusOK, body)
	resp.Header = http.Header{"Cache-Control": {"no-store"}}
	return resp
}

// clientCredentials takes the client id and secret from the Basic header or
// the form, or says what is wrong with the request. Using both is wrong
// (RFC 6749 2.3).
func clientCredentials(r *http.Request, form url.Values) (id, secret string, basic bool, problem string) {
	hid, hsecret, hasBasic := r.BasicAuth()
	inForm := form.Get("client_id") != "" || form.Get("client_secret") != ""
	switch {
	case hasBasic && inForm:
		return "", "", true, "The client authenticated in more than one way."
	case hasBasic:
		var err1, err2 error
		id, err1 = url.QueryUnescape(hid)
		secret, err2 = url.QueryUnescape(hsecret)
		if err1 != nil || err2 != nil {
			return "", "", true, "The Basic credentials are not form-encoded."
		}
		return id, secret, true, ""
	case form.Get("client_id") == "":
		return "", "", false, "The client_id parameter is required."
	}
	return form.Get("client_id"), form.Get("client_secret"), false, ""
}

// authorize checks the bearer token (RFC 6750: the scheme is
// case-insensitive). A missing token is 401 without an error code; an
// unknown or expired one 401 invalid_token.
func (s *Server) authorize(r *http.Request, now time.Time) (response, bool) {
	tok, ok := emukit.BearerToken(r)
	if !ok {
		resp := s.message(http.StatusUnauthorized, "Unauthorized: a bearer access token is required.")
		resp.Header = http.Header{"Www-Authenticate": {`Bearer realm="directory"`}}
		return resp, false
	}
	exp, ok := s.tokens[tok]
	if ok && !now.Before(exp) {
		delete(s.tokens, tok)
		ok = false
	}
	if !ok {
		resp := emukit.JSON(http.StatusUnauthorized, oauthError{
			Error: "invalid_token", Description: "The access token is invalid or has expired.",
			Message: "Unauthorized: the access token is invalid or has expired.",
		})
		if s.readings.Has(ReadingErrorsNested) {
			resp = s.apiError(http.StatusUnauthorized, "invalid_token", "Unauthorized: the access token is invalid or has expired.", nil)
		}
		resp.Header = http.Header{"Www-Authenticate": {`Bearer realm="directory", error="invalid_token"`}}
		return resp, false
	}
	return response{}, true
}
