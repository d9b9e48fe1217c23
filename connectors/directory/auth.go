package directory

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/hashicorp/go-retryablehttp"
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/internal/httpkit"
)

// clientAuth sends bearer tokens obtained with the client's credentials.
// The document names no client authentication method (004:16 "An OIDC
// service account that was authenticated."): it starts with HTTP Basic
// (client_secret_basic, OIDC's default) and, when the token endpoint
// refuses the client that way (400 or 401), sends the credentials in the
// form instead (client_secret_post) and keeps to that. A 401 on an API
// call invalidates the token, so that the call is sent once more with a
// new one.
type clientAuth struct {
	basic, post *httpkit.TokenSource
	logger      *zap.Logger

	mu     sync.Mutex
	inForm bool // the endpoint refused Basic and took the form
}

func (a *clientAuth) current() *httpkit.TokenSource {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.inForm {
		return a.post
	}
	return a.basic
}

// Authorize sets a valid token.
func (a *clientAuth) Authorize(ctx context.Context, req *retryablehttp.Request) error {
	src := a.current()
	tok, err := src.Token(ctx)
	if err != nil && src == a.basic && clientRefused(err) {
		postTok, postErr := a.post.Token(ctx)
		if postErr != nil {
			// Refused both ways: the credentials themselves are wrong.
			return fmt.Errorf("access token: %w", err)
		}
		a.mu.Lock()
		a.inForm = true
		a.mu.Unlock()
		a.logger.Info("the token endpoint refused the client's HTTP Basic authentication and took its credentials in the form (client_secret_post); using that from now on")
		tok, err = postTok, nil
	}
	if err != nil {
		return fmt.Errorf("access token: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	return nil
}

// Refused invalidates the token req carried and reports true.
func (a *clientAuth) Refused(req *retryablehttp.Request) bool {
	tok, _ := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
	a.current().Invalidate(tok)
	a.logger.Debug("access token refused, renewing", zap.String("method", req.Method))
	return true
}

// clientRefused reports whether a token request failed because the server
// did not accept the client's authentication (RFC 6749 5.2: invalid_client,
// 401, or 400 from servers that answer so).
func clientRefused(err error) bool {
	var se *httpkit.StatusError
	return errors.As(err, &se) && (se.Status == http.StatusUnauthorized || se.Status == http.StatusBadRequest)
}
