package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/hashicorp/go-retryablehttp"
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/internal/httpkit"
)

// The statuses the adapter writes (the document's enum lists no values;
// see the package doc).
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
)

// suspendedStatuses are the status values read as suspended, lower case. A
// server built from the same document may have chosen other words.
var suspendedStatuses = map[string]bool{
	StatusSuspended: true, "inactive": true, "disabled": true, "deactivated": true, "locked": true, "blocked": true,
}

// Assignment links a subject to an account type of the organization.
type Assignment struct {
	SubjectID string
	Code      string
	// Status as the server wrote it; "" when it sent none.
	Status    string
	CreatedAt string
	UpdatedAt string
}

// Suspended reports whether the status is one that withholds access.
func (a Assignment) Suspended() bool {
	return suspendedStatuses[strings.ToLower(strings.TrimSpace(a.Status))]
}

// AccountType is an account type registered in the organization.
type AccountType struct {
	Code string
	Name string
}

// Listing is what GET .../accounts/users answers.
type Listing struct {
	AccountTypes []AccountType
	Assignments  []Assignment
	// Skipped counts list entries that were neither an assignment nor an
	// account type.
	Skipped int
}

// Client is a typed client of the directory account-type API of one
// organization, over httpkit. Every call sends a bearer token from its
// TokenSource; a 401 invalidates the token and the call is tried once more
// with a new one.
type Client struct {
	base  *url.URL
	orgID string
	http  *retryablehttp.Client
	auth  httpkit.Auth
}

// ClientOptions configure NewClient.
type ClientOptions struct {
	BaseURL        string
	OrganizationID string
	// HTTP is the retrying client (httpkit.NewClient); Tokens fetch through
	// the same client.
	HTTP   *retryablehttp.Client
	Tokens *httpkit.TokenSource
	Logger *zap.Logger
}

// NewClient returns a client of the organization's accounts at o.BaseURL.
func NewClient(o ClientOptions) (*Client, error) {
	u, err := httpkit.ParseBaseURL("directory", o.BaseURL)
	if err != nil {
		return nil, err
	}
	if o.OrganizationID == "" {
		return nil, errors.New("directory: client needs an organization id")
	}
	if o.HTTP == nil || o.Tokens == nil {
		return nil, errors.New("directory: client needs an HTTP client and a token source")
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	auth := httpkit.BearerTokens{Tokens: o.Tokens, Logger: o.Logger}
	return &Client{base: u, orgID: o.OrganizationID, http: o.HTTP, auth: auth}, nil
}

// OrganizationID returns the organization the client works in.
func (c *Client) OrganizationID() string { return c.orgID }

// accountsURL is the organization's accounts/users collection.
func (c *Client) accountsURL() string {
	return c.base.String() + "/directory/orgs/" + url.PathEscape(c.orgID) + "/accounts/users"
}

func (c *Client) assignmentURL(subjectID, code string) string {
	return c.accountsURL() + "/" + url.PathEscape(subjectID) + "/" + url.PathEscape(code)
}

// maxPages stops a server whose next links never end.
const maxPages = 10000

// List returns the organization's account types and assignments. The
// document has no pagination; a "next" link, when a server sends one, is
// followed on the same host.
func (c *Client) List(ctx context.Context) (Listing, error) {
	var all Listing
	target := c.accountsURL()
	for page := 1; ; page++ {
		if page > maxPages {
			return Listing{}, fmt.Errorf("GET %s: more than %d pages", c.accountsURL(), maxPages)
		}
		var raw json.RawMessage
		if err := c.do(ctx, http.MethodGet, target, nil, &raw); err != nil {
			return Listing{}, err
		}
		l, next, err := decodeListing(raw)
		if err != nil {
			return Listing{}, fmt.Errorf("GET %s: %w", pathOf(target), err)
		}
		all.AccountTypes = append(all.AccountTypes, l.AccountTypes...)
		all.Assignments = append(all.Assignments, l.Assignments...)
		all.Skipped += l.Skipped
		if next == "" || (len(l.Assignments) == 0 && l.Skipped == 0) {
			return all, nil
		}
		nextURL, err := c.sameHost(next)
		if err != nil {
			return Listing{}, fmt.Errorf("GET %s: next link: %w", pathOf(target), err)
		}
		target = nextURL
	}
}

// sameHost resolves a next link against the base URL and refuses one that
// leaves the API's host (the bearer token goes with it).
func (c *Client) sameHost(next string) (string, error) {
	u, err := url.Parse(next)
	if err != nil {
		return "", fmt.Errorf("%q is not a URL", next)
	}
	u = c.base.ResolveReference(u)
	if u.Scheme != c.base.Scheme || u.Host != c.base.Host {
		return "", fmt.Errorf("%q is not on %s", next, c.base.Host)
	}
	return u.String(), nil
}

// Assign links a subject to an account type (POST, no body). It answers the
// created assignment; a 409 (already assigned) wraps connectors.ErrConflict.
func (c *Client) Assign(ctx context.Context, subjectID, code string) (Assignment, error) {
	var out json.RawMessage
	if err := c.do(ctx, http.MethodPost, c.assignmentURL(subjectID, code), nil, &out); err != nil {
		return Assignment{}, err
	}
	return decodeAssignment(out, subjectID, code), nil
}

// SetStatus changes an assignment's status (PUT {"status": …}).
func (c *Client) SetStatus(ctx context.Context, subjectID, code, status string) (Assignment, error) {
	var out json.RawMessage
	if err := c.do(ctx, http.MethodPut, c.assignmentURL(subjectID, code), statusBody{status}, &out); err != nil {
		return Assignment{}, err
	}
	a := decodeAssignment(out, subjectID, code)
	if a.Status == "" {
		a.Status = status // a server that answers without a body
	}
	return a, nil
}

// Unassign removes an assignment (DELETE, no body); a 404 wraps
// connectors.ErrNotFound.
func (c *Client) Unassign(ctx context.Context, subjectID, code string) error {
	return c.do(ctx, http.MethodDelete, c.assignmentURL(subjectID, code), nil, nil)
}

type statusBody struct {
	Status string `json:"status"`
}

// do sends one API call to target: body (nil: none) as JSON, out (nil:
// discarded) decoded from the response.
func (c *Client) do(ctx context.Context, method, target string, body, out any) error {
	return httpkit.JSON(ctx, c.http, method, target, body, out, c.auth)
}

// pathOf is a URL's path, for errors.
func pathOf(target string) string {
	if u, err := url.Parse(target); err == nil {
		return u.EscapedPath()
	}
	return target
}
