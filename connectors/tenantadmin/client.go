package tenantadmin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hashicorp/go-retryablehttp"
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/httpkit"
)

// OrgsPath is the organizations collection, relative to the base URL.
const OrgsPath = "/api/admin/organizations"

// ErrTokenRefused is wrapped by every error of a request the API refused
// with 401 or 403. The admin token is static: orgbridge cannot renew it.
var ErrTokenRefused = errors.New("the admin token (tenantadmin.token) was refused: it is wrong, expired or revoked, or lacks admin rights; " +
	"orgbridge cannot renew a static token: put a valid one in the environment variable or file tenantadmin.token names")

// Org is an organization. ParentID is "" at the top level. MemberCount is
// -1 when the server did not say. Metadata holds the decoded JSON values;
// it is nil when the response had none (list items do not carry it).
type Org struct {
	ID          string
	Name        string
	DisplayName string
	Description string
	ParentID    string
	MemberCount int
	Metadata    map[string]any
	CreatedAt   int64
	UpdatedAt   int64
	// Stub: only ID, Name, DisplayName and ParentID are known (a child a
	// list gave by reference); its detail must be read.
	Stub bool
	// hasParent: the response named the parent (parent_id, parentId or
	// parent, null included), so ParentID "" is the top level, not unsaid.
	hasParent bool
	// hasDescription: the response named the description (null included).
	hasDescription bool
}

// Member is a row of an organization's member list.
type Member struct {
	UserID   string
	Email    string
	Name     string
	Role     string // admin or member
	JoinedAt int64
}

// Node is an organization of a hierarchy.
type Node struct {
	ID          string
	Name        string
	DisplayName string
	MemberCount int
	Children    []Node
}

// Fields is the JSON body of a create or update, by the API's field names.
// On update, an absent field is left as it is.
type Fields map[string]any

// Roles of a member.
const (
	RoleAdmin  = "admin"
	RoleMember = "member"
)

// Client is a typed client of the tenant admin organizations API over
// httpkit: retries by the kit's table, a pacer that follows
// X-RateLimit-* headers when a server sends them, and a static bearer
// token.
type Client struct {
	api httpkit.Endpoint
}

// ClientOptions configure NewClient.
type ClientOptions struct {
	// BaseURL is the tenant's origin (https://acme.example.com); a
	// trailing /api/admin or /api/admin/organizations is dropped.
	BaseURL string
	HTTP    *retryablehttp.Client // httpkit.NewClient
	Token   string
	Logger  *zap.Logger
}

// NewClient returns a client of the API at o.BaseURL.
func NewClient(o ClientOptions) (*Client, error) {
	base := trimBase(o.BaseURL)
	if !absoluteURL(base) {
		return nil, fmt.Errorf("tenantadmin: base URL %q is not an absolute http(s) URL", o.BaseURL)
	}
	if o.HTTP == nil || o.Token == "" {
		return nil, errors.New("tenantadmin: client needs an HTTP client and a token")
	}
	return &Client{api: httpkit.Endpoint{Base: base, HTTP: o.HTTP, Auth: httpkit.Bearer(o.Token)}}, nil
}

func trimBase(s string) string {
	s = strings.TrimRight(s, "/")
	s = strings.TrimSuffix(s, OrgsPath)
	return strings.TrimSuffix(s, "/api/admin")
}

func absoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.RawQuery == "" && u.Fragment == ""
}

// do sends one call: body (nil: none) as JSON, out (nil: discarded)
// decoded from the response. path is already escaped.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	err := c.api.JSON(ctx, method, path, query, body, out)
	if id := pathOrg(path); id != "" && statusOf(err) == http.StatusForbidden {
		return c.forbidden(ctx, method, id, err)
	}
	return refine(err)
}

func statusOf(err error) int {
	var se *httpkit.StatusError
	if errors.As(err, &se) {
		return se.Status
	}
	return 0
}

// pathOrg is the organization id a path names ("" for the collection).
func pathOrg(path string) string {
	rest, ok := strings.CutPrefix(path, OrgsPath+"/")
	if !ok {
		return ""
	}
	seg, _, _ := strings.Cut(rest, "/")
	id, err := url.PathUnescape(seg)
	if err != nil {
		return seg
	}
	return id
}

// forbidden reads a 403 on a path naming organization id. The document
// gives no status for an unknown id, and a tenant with per-organization
// access control (001:7) may answer 403 rather than 404 for one that does
// not exist. So a 403 is the token's fault only when the collection is
// refused too; else, for a GET, the organization is gone (or out of the
// token's reach, which reads the same); for a write, it is gone only if a
// GET of it is refused or 404 too, and otherwise the token lacks rights on
// an organization that exists: that is an error, never "already done".
func (c *Client) forbidden(ctx context.Context, method, id string, err error) error {
	probe := c.api.JSON(ctx, http.MethodGet, OrgsPath, url.Values{"limit": {"1"}}, nil, nil)
	switch st := statusOf(probe); {
	case probe == nil:
	case st == http.StatusUnauthorized || st == http.StatusForbidden:
		return refine(err)
	default:
		return fmt.Errorf("%w (and checking whether the token still lists organizations failed: %w)", refine(err), probe)
	}
	if method != http.MethodGet {
		get := c.api.JSON(ctx, http.MethodGet, orgPath(id), nil, nil, nil)
		switch st := statusOf(get); {
		case get == nil:
			return fmt.Errorf("%w: organization %s exists and the token lists organizations, but may not change this one: %w", err, id, ErrTokenRefused)
		case st != http.StatusForbidden && st != http.StatusNotFound:
			return fmt.Errorf("%w (and reading organization %s to tell gone from refused failed: %w)", refine(err), id, get)
		}
	}
	return fmt.Errorf("%w: organization %s is gone or out of the token's reach (the token still lists organizations): %w", err, id, connectors.ErrNotFound)
}

// refine marks a refused token, and reads a 400 as a validation error (a
// server may answer bad input 400 rather than the emulator's 422).
func refine(err error) error {
	var se *httpkit.StatusError
	if !errors.As(err, &se) {
		return err
	}
	switch {
	case se.Status == http.StatusUnauthorized || se.Status == http.StatusForbidden:
		return fmt.Errorf("%w: %w", err, ErrTokenRefused)
	case se.Status == http.StatusBadRequest && se.Err == nil:
		se.Err = &connectors.FieldError{Status: se.Status, Message: se.Message}
	}
	return err
}

func orgPath(id string, rest ...string) string {
	p := OrgsPath + "/" + url.PathEscape(id)
	for _, r := range rest {
		p += "/" + url.PathEscape(r)
	}
	return p
}

// maxPages stops a server that never says it is done.
const maxPages = 100000

// list pages through path with the cursor until the server returns no
// cursor, an empty page, or a cursor it already gave.
func list[T any](ctx context.Context, c *Client, path string, query url.Values, limit int, decode func(rawObject) T) ([]T, error) {
	var all []T
	seen := map[string]bool{}
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	q.Set("limit", strconv.Itoa(limit))
	for range maxPages {
		var page rawObject
		if err := c.do(ctx, http.MethodGet, path, q, nil, &page); err != nil {
			return nil, err
		}
		items := page.objects("items", "data")
		for _, it := range items {
			all = append(all, decode(it))
		}
		next := page.str("cursor", "next_cursor", "nextCursor")
		more, said := page.flag("has_more")
		if len(items) == 0 || next == "" || (said && !more) {
			return all, nil
		}
		if seen[next] {
			return nil, fmt.Errorf("GET %s: the server returned cursor %q twice", path, next)
		}
		seen[next] = true
		q.Set("cursor", next)
	}
	return nil, fmt.Errorf("GET %s: more than %d pages", path, maxPages)
}

// ListOrgs returns the organizations a list query names (search,
// parent_id, include_children), limit at a time, flattened: items a server
// nests under an item's "children" follow it, with that item as parent when
// they name none. A nested child given by reference only (no member_count,
// as the detail's children are) is returned with Stub set.
func (c *Client) ListOrgs(ctx context.Context, query url.Values, limit int) ([]Org, error) {
	pages, err := list(ctx, c, OrgsPath, query, limit, func(o rawObject) []Org { return decodeOrgTree(o, "", nil) })
	if err != nil {
		return nil, err
	}
	var all []Org
	for _, p := range pages {
		all = append(all, p...)
	}
	return all, nil
}

// GetOrg returns an organization's detail, metadata included.
func (c *Client) GetOrg(ctx context.Context, id string) (Org, error) {
	var o rawObject
	err := c.do(ctx, http.MethodGet, orgPath(id), nil, nil, &o)
	return decodeOrg(o), err
}

// CreateOrg creates an organization.
func (c *Client) CreateOrg(ctx context.Context, f Fields) (Org, error) {
	var o rawObject
	if err := c.do(ctx, http.MethodPost, OrgsPath, nil, f, &o); err != nil {
		return Org{}, err
	}
	org := decodeOrg(o)
	if org.ID == "" {
		return org, fmt.Errorf("POST %s: the response names no id", OrgsPath)
	}
	return org, nil
}

// UpdateOrg changes the given fields of an organization and returns the
// server's answer: the detail, or an Org with no ID when it answered no
// body (204).
func (c *Client) UpdateOrg(ctx context.Context, id string, f Fields) (Org, error) {
	var o rawObject
	err := c.do(ctx, http.MethodPut, orgPath(id), nil, f, &o)
	return decodeOrg(o), err
}

// DeleteOrg deletes an organization.
func (c *Client) DeleteOrg(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, orgPath(id), nil, nil, nil)
}

// Hierarchy returns an organization and depth levels below it (every level
// for a negative depth).
func (c *Client) Hierarchy(ctx context.Context, id string, depth int) (Node, error) {
	var q url.Values
	if depth >= 0 {
		q = url.Values{"depth": {strconv.Itoa(depth)}}
	}
	var o rawObject
	err := c.do(ctx, http.MethodGet, orgPath(id, "hierarchy"), q, nil, &o)
	return decodeNode(o), err
}

// ListMembers returns the members of an organization, limit at a time.
func (c *Client) ListMembers(ctx context.Context, orgID string, limit int) ([]Member, error) {
	return list(ctx, c, orgPath(orgID, "members"), nil, limit, decodeMember)
}

// AddMember adds a user to an organization with a role and returns the
// role the server reports ("" when it reports none).
func (c *Client) AddMember(ctx context.Context, orgID, userID, role string) (string, error) {
	var o rawObject
	err := c.do(ctx, http.MethodPost, orgPath(orgID, "members"), nil, Fields{"user_id": userID, "role": role}, &o)
	return o.str("role", "organization_role"), err
}

// RemoveMember removes a user from an organization.
func (c *Client) RemoveMember(ctx context.Context, orgID, userID string) error {
	return c.do(ctx, http.MethodDelete, orgPath(orgID, "members", userID), nil, nil, nil)
}
