package pcaid

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/hashicorp/go-retryablehttp"
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/internal/httpkit"
)

// Fields is the JSON body of a write, by the API's field names.
type Fields map[string]any

// Client is a typed client of the pcaid organization API over httpkit.
// Every call sends a bearer token from its TokenSource; a 401 invalidates
// the token and the call is sent once more with a new one.
type Client struct {
	api httpkit.Endpoint
}

// ClientOptions configure NewClient.
type ClientOptions struct {
	// BaseURL is the API's root, ending in /api/orgs/v1 on the emulator.
	BaseURL string
	// HTTP is the retrying client (httpkit.NewClient); Tokens fetch through
	// the same client.
	HTTP   *retryablehttp.Client
	Tokens *httpkit.TokenSource
	Logger *zap.Logger
}

// NewClient returns a client of the API at o.BaseURL.
func NewClient(o ClientOptions) (*Client, error) {
	u, err := httpkit.ParseBaseURL("pcaid", o.BaseURL)
	if err != nil {
		return nil, err
	}
	if o.HTTP == nil || o.Tokens == nil {
		return nil, errors.New("pcaid: client needs an HTTP client and a token source")
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	auth := httpkit.BearerTokens{Tokens: o.Tokens, Logger: o.Logger}
	return &Client{api: httpkit.Endpoint{Base: u.String(), HTTP: o.HTTP, Auth: auth}}, nil
}

// do sends one API call: body (nil: none) as JSON, out (nil: discarded)
// decoded from the response. path is already escaped.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	return c.api.JSON(ctx, method, path, query, body, out)
}

// maxPages stops a server that never says it is done.
const maxPages = 100000

// listPages reads every page of a list (limit 0 sends no limit). The
// document gives no paging, so a page is asked for in every way at once,
// each ignored by a server that pages otherwise: limit, page (from 1) and,
// after the first page, the cursor the server gave. The answer says how to
// go on: a next_cursor (or nextCursor, next) goes on by cursor; a "total"
// (with or without "page") goes on to the next page number until that many
// items came; neither ends the list, as does an empty page. Items are
// taken from the first of itemKeys present (or "items", "data", or a bare
// array). A cursor that comes back twice is an error, not an endless loop.
func listPages[T any](ctx context.Context, c *Client, path string, query url.Values, limit int, itemKeys ...string) ([]T, error) {
	var all []T
	seen := map[string]bool{}
	cursor := ""
	for page := 1; ; page++ {
		if page > maxPages {
			return nil, fmt.Errorf("GET %s: more than %d pages", path, maxPages)
		}
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		if limit > 0 {
			q.Set("limit", strconv.Itoa(limit))
		}
		q.Set("page", strconv.Itoa(page))
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var raw json.RawMessage
		if err := c.do(ctx, http.MethodGet, path, q, nil, &raw); err != nil {
			return nil, err
		}
		p, err := decodePage[T](raw, itemKeys)
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", path, err)
		}
		all = append(all, p.items...)
		switch {
		case len(p.items) == 0:
			return all, nil
		case p.next != "":
			if seen[p.next] {
				return nil, fmt.Errorf("GET %s: the server sent cursor %q twice", path, p.next)
			}
			seen[p.next], cursor = true, p.next
		case p.total >= 0:
			if len(all) >= p.total {
				return all, nil
			}
			cursor = ""
		default:
			return all, nil
		}
	}
}

// page is one answer of a list.
type page[T any] struct {
	items []T
	next  string // the next page's cursor; "" for none
	total int    // the list's length when the answer says it; -1 otherwise
}

// decodePage takes the items and the paging fields out of a list answer;
// a bare JSON array is every item.
func decodePage[T any](raw json.RawMessage, itemKeys []string) (page[T], error) {
	raw = bytes.TrimSpace(raw)
	p := page[T]{total: -1}
	if len(raw) > 0 && raw[0] == '[' {
		err := json.Unmarshal(raw, &p.items)
		return p, err
	}
	var o rawObject
	if err := json.Unmarshal(raw, &o); err != nil {
		return p, fmt.Errorf("decode list: %w", err)
	}
	for _, k := range append(itemKeys, "items", "data") {
		if v, ok := o[k]; ok && !bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			if err := json.Unmarshal(v, &p.items); err != nil {
				return p, fmt.Errorf("decode list %q: %w", k, err)
			}
			break
		}
	}
	p.next = o.str("next_cursor", "nextCursor", "next")
	if n, ok := o.integer("total", "total_count", "totalCount"); ok {
		p.total = n
	}
	return p, nil
}

func idPath(prefix, id string, rest ...string) string {
	p := prefix + "/" + url.PathEscape(id)
	for _, r := range rest {
		p += "/" + r
	}
	return p
}

// ListUsers returns every user GET /users lists, limit a page.
func (c *Client) ListUsers(ctx context.Context, limit int) ([]User, error) {
	return listPages[User](ctx, c, "/users", nil, limit, "users")
}

// QueryUsers returns every user GET /users/query finds with the filters,
// limit a page.
func (c *Client) QueryUsers(ctx context.Context, filters url.Values, limit int) ([]User, error) {
	return listPages[User](ctx, c, "/users/query", filters, limit, "users")
}

// GetUser returns one user.
func (c *Client) GetUser(ctx context.Context, accountID string) (User, error) {
	var u User
	err := c.do(ctx, http.MethodGet, idPath("/users", accountID), nil, nil, &u)
	return u, err
}

// CreateUser creates a user (not invited).
func (c *Client) CreateUser(ctx context.Context, f Fields) (User, error) {
	var u User
	err := c.do(ctx, http.MethodPost, "/users", nil, f, &u)
	return u, err
}

// UpdateUser changes the given fields of a user.
func (c *Client) UpdateUser(ctx context.Context, accountID string, f Fields) (User, error) {
	var u User
	err := c.do(ctx, http.MethodPut, idPath("/users", accountID), nil, f, &u)
	return u, err
}

// SuspendUser suspends a user (無効化).
func (c *Client) SuspendUser(ctx context.Context, accountID string) error {
	return c.do(ctx, http.MethodPost, idPath("/users", accountID, "lifecycle", "suspend"), nil, nil, nil)
}

// UnsuspendUser lifts a suspension (無効化解除).
func (c *Client) UnsuspendUser(ctx context.Context, accountID string) error {
	return c.do(ctx, http.MethodPost, idPath("/users", accountID, "lifecycle", "unsuspend"), nil, nil, nil)
}

// RemoveUser deletes a user.
func (c *Client) RemoveUser(ctx context.Context, accountID string) error {
	return c.do(ctx, http.MethodPost, idPath("/users", accountID, "remove"), nil, nil, nil)
}

// adminRolesBody names the one admin role orgbridge manages. A server
// with one admin role takes the call without a body; one with several
// needs it on the grant, and without it would take every role away on the
// unassign, a role given by hand included.
func adminRolesBody() Fields { return Fields{"admin_roles": []string{RoleOrganizationAdmin}} }

// AssignAdmin grants the organization admin role.
func (c *Client) AssignAdmin(ctx context.Context, accountID string) error {
	return c.do(ctx, http.MethodPost, idPath("/users", accountID, "admin_roles"), nil, adminRolesBody(), nil)
}

// UnassignAdmin takes the organization admin role back, and no other.
func (c *Client) UnassignAdmin(ctx context.Context, accountID string) error {
	return c.do(ctx, http.MethodPost, idPath("/users", accountID, "admin_roles", "unassign"), nil, adminRolesBody(), nil)
}

// ListPartitions returns every service partition of the organization, in
// one answer or, from a server that pages it, limit a page.
func (c *Client) ListPartitions(ctx context.Context, limit int) ([]ServicePartition, error) {
	return listPages[ServicePartition](ctx, c, "/organizations/service_partition", nil, limit, "service_partitions")
}

// CreatePartition adds a service partition.
func (c *Client) CreatePartition(ctx context.Context, f Fields) (ServicePartition, error) {
	var p ServicePartition
	err := c.do(ctx, http.MethodPost, "/organizations/service_partition", nil, f, &p)
	return p, err
}

// UpdatePartition changes the given fields of a service partition: the
// same POST with the partition's id in the body.
func (c *Client) UpdatePartition(ctx context.Context, id string, f Fields) (ServicePartition, error) {
	body := Fields{"service_partition_id": id}
	for k, v := range f {
		body[k] = v
	}
	var p ServicePartition
	err := c.do(ctx, http.MethodPost, "/organizations/service_partition", nil, body, &p)
	return p, err
}

// RemovePartition deletes a service partition; its users lose it.
func (c *Client) RemovePartition(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodPost, "/organizations/service_partition/remove", nil,
		Fields{"service_partition_id": id}, nil)
}

// ListPartitionUsers returns the users of a service partition with their
// roles, limit a page.
func (c *Client) ListPartitionUsers(ctx context.Context, id string, limit int) ([]PartitionUser, error) {
	return listPages[PartitionUser](ctx, c, "/organizations/service_partition/users",
		url.Values{"service_partition_id": {id}}, limit, "users")
}

// partitionBody names one partition both ways a server may read it: in a
// list ("service_partition_ids") and alone ("service_partition_id"); each
// server ignores the key it does not know.
func partitionBody(id string) Fields {
	return Fields{"service_partition_ids": []string{id}, "service_partition_id": id}
}

// AddUserPartition assigns a user to a service partition (as a member).
func (c *Client) AddUserPartition(ctx context.Context, accountID, id string) error {
	return c.do(ctx, http.MethodPost, idPath("/users", accountID, "service_partitions"), nil, partitionBody(id), nil)
}

// RemoveUserPartition takes a user out of a service partition.
func (c *Client) RemoveUserPartition(ctx context.Context, accountID, id string) error {
	return c.do(ctx, http.MethodPost, idPath("/users", accountID, "service_partitions", "remove"), nil, partitionBody(id), nil)
}

// SetPartitionRole sets a user's role in a service partition it is in:
// RoleManager (サービス責任者) or RoleMember.
func (c *Client) SetPartitionRole(ctx context.Context, accountID, partitionID, role string) error {
	return c.do(ctx, http.MethodPost, idPath("/users", accountID, "sp_manager_roles"), nil,
		Fields{"service_partition_id": partitionID, "role": role}, nil)
}

// ImportUsers starts an asynchronous import of the rows.
func (c *Client) ImportUsers(ctx context.Context, rows []Fields) (ImportTask, error) {
	var t ImportTask
	err := c.do(ctx, http.MethodPost, "/users/import", nil, Fields{"users": rows}, &t)
	return t, err
}

// ImportStatus polls an import task. The call is a POST (as the document
// lists it) that changes nothing, so it is safe to repeat after a 500.
func (c *Client) ImportStatus(ctx context.Context, taskID string) (ImportTask, error) {
	var t ImportTask
	err := c.do(httpkit.MarkIdempotent(ctx), http.MethodPost, idPath("/users/import/tasks", taskID), nil, nil, &t)
	return t, err
}
