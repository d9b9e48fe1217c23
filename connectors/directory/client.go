package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/hashicorp/go-retryablehttp"
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/internal/httpkit"
)

// The status values written by default (the document's enum lists no
// values; directory.status_values sets others).
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
)

// Status words a server built from the same document may use, lower case:
// read as suspended, or as active, whatever directory.status_values says.
var (
	suspendedWords = map[string]bool{
		StatusSuspended: true, "inactive": true, "disabled": true, "deactivated": true, "locked": true, "blocked": true,
	}
	activeWords = map[string]bool{StatusActive: true, "enabled": true}
)

// Assignment links a subject to an account type of the organization.
type Assignment struct {
	SubjectID string
	Code      string
	// Status as the server wrote it; "" when it sent none.
	Status    string
	CreatedAt string
	UpdatedAt string
}

// Suspended reports whether the status is one of the words that withhold
// access (suspended, inactive, disabled, … in any case). The adapter reads
// statuses against its configured values first (see Adapter.Read).
func (a Assignment) Suspended() bool {
	return suspendedWords[strings.ToLower(strings.TrimSpace(a.Status))]
}

// AccountType is an account type registered in the organization.
type AccountType struct {
	Code string
	Name string
}

// Listing is what GET .../accounts/users answers, over every page.
type Listing struct {
	AccountTypes []AccountType
	Assignments  []Assignment
	// Entries counts the list's entries.
	Entries int
	// TypesOnly counts entries that are account types without a list of
	// the subjects that hold them; WithHolders those with one.
	TypesOnly   int
	WithHolders int
	// Unreadable counts entries that are neither an assignment nor an
	// account type; UnreadableExample describes the first.
	Unreadable        int
	UnreadableExample string
}

// ErrNoAssignments is wrapped by List's error when the list gives the
// organization's account types but not who holds them: the document has
// no other call that reads assignments, so nothing can be synced safely.
var ErrNoAssignments = errors.New("the list does not say who holds which account type")

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
	// Auth, when set, puts the credentials on each call instead of a
	// BearerTokens over Tokens.
	Auth   httpkit.Auth
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
	if o.HTTP == nil || (o.Tokens == nil && o.Auth == nil) {
		return nil, errors.New("directory: client needs an HTTP client and a token source")
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	auth := o.Auth
	if auth == nil {
		auth = httpkit.BearerTokens{Tokens: o.Tokens, Logger: o.Logger}
	}
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
// document has no pagination; a next link, when a server sends one in the
// body or in a Link header, is followed on the same host. It fails, rather
// than answer a partial or empty listing, when the list says nothing of
// who holds what (ErrNoAssignments), holds entries it cannot read, or says
// it holds more entries than its pages gave.
func (c *Client) List(ctx context.Context) (Listing, error) {
	var all Listing
	first := c.accountsURL()
	target, total := first, -1
	for n := 1; ; n++ {
		if n > maxPages {
			return Listing{}, fmt.Errorf("GET %s: more than %d pages", pathOf(first), maxPages)
		}
		raw, link, err := c.getPage(ctx, target)
		if err != nil {
			return Listing{}, err
		}
		p, err := decodeListing(raw)
		if err != nil {
			return Listing{}, fmt.Errorf("GET %s: %w", pathOf(target), err)
		}
		all.AccountTypes = append(all.AccountTypes, p.AccountTypes...)
		all.Assignments = append(all.Assignments, p.Assignments...)
		all.Entries += p.Entries
		all.TypesOnly += p.TypesOnly
		all.WithHolders += p.WithHolders
		if all.Unreadable == 0 {
			all.UnreadableExample = p.UnreadableExample
		}
		all.Unreadable += p.Unreadable
		if p.Total >= 0 {
			total = p.Total
		}
		next := p.Next
		if next == "" {
			next = link
		}
		if next == "" || p.Entries == 0 {
			break
		}
		if target, err = c.sameHost(next); err != nil {
			return Listing{}, fmt.Errorf("GET %s: next link: %w", pathOf(first), err)
		}
	}
	return all, c.check(all, total)
}

// check refuses a listing orgbridge cannot trust to be whole: reading it
// as whole would plan creates for subjects that exist and leave leavers
// with access.
func (c *Client) check(l Listing, total int) error {
	where := "GET " + pathOf(c.accountsURL())
	switch {
	case l.Unreadable > 0:
		return fmt.Errorf("%s: %d of %d list entries are neither an assignment (a subject and a code) nor an account type (first: %s)",
			where, l.Unreadable, l.Entries, l.UnreadableExample)
	case total > l.Entries:
		return fmt.Errorf("%s: the server says the list holds %d entries, but its pages gave %d and no link to the rest",
			where, total, l.Entries)
	case l.TypesOnly > 0 && l.WithHolders == 0:
		codes := make([]string, 0, len(l.AccountTypes))
		for _, t := range l.AccountTypes {
			codes = append(codes, t.Code)
		}
		return fmt.Errorf("%s lists the organization's account types (%s) and no assignments: %w, and the document "+
			"gives no other way to read them; orgbridge stops rather than sync blind (the server reads the document's "+
			"\"returns the account types registered within the specified organization\" literally)",
			where, strings.Join(codes, ", "), ErrNoAssignments)
	}
	return nil
}

// getPage GETs one page of the list: its body, and the next link of its
// Link header, if any (RFC 8288).
func (c *Client) getPage(ctx context.Context, target string) ([]byte, string, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, "", fmt.Errorf("GET %s: %w", target, err)
	}
	ep := httpkit.Endpoint{Base: u.Scheme + "://" + u.Host, HTTP: c.http, Auth: c.auth}
	resp, err := ep.Send(ctx, http.MethodGet, u.EscapedPath(), u.Query(), nil)
	if err != nil {
		return nil, "", err
	}
	link := nextLink(resp.Header.Values("Link"))
	var raw json.RawMessage
	if err := httpkit.DecodeJSON(resp, &raw); err != nil {
		return nil, "", err
	}
	return raw, link, nil
}

// nextLink finds rel="next" in Link header values: `<url>; rel="next"`,
// several links separated by commas.
func nextLink(values []string) string {
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			target, params, ok := strings.Cut(part, ";")
			target = strings.TrimSpace(target)
			if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			for _, p := range strings.Split(params, ";") {
				k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.EqualFold(strings.TrimSpace(k), "rel") && slices.Contains(strings.Fields(strings.ToLower(strings.Trim(val, `"`))), "next") {
					return strings.TrimSuffix(strings.TrimPrefix(target, "<"), ">")
				}
			}
		}
	}
	return ""
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
