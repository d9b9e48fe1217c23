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

// listPages reads every page of a cursor-paged list (limit 0 sends no
// limit, for a list the contract does not page): items under the first
// of itemKeys (or "items", "data") present, the next page's cursor in
// next_cursor (or nextCursor, next); no cursor ends the list. A cursor
// that comes back twice is an error, not an endless loop.
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
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var raw json.RawMessage
		if err := c.do(ctx, http.MethodGet, path, q, nil, &raw); err != nil {
			return nil, err
		}
		items, next, err := decodePage[T](raw, itemKeys)
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", path, err)
		}
		all = append(all, items...)
		if next == "" || len(items) == 0 {
			return all, nil
		}
		if seen[next] {
			return nil, fmt.Errorf("GET %s: the server sent cursor %q twice", path, next)
		}
		seen[next], cursor = true, next
	}
}

// decodePage takes the items and the next cursor out of a list answer; a
// bare JSON array is every item.
func decodePage[T any](raw json.RawMessage, itemKeys []string) ([]T, string, error) {
	raw = bytes.TrimSpace(raw)
	var items []T
	if len(raw) > 0 && raw[0] == '[' {
		err := json.Unmarshal(raw, &items)
		return items, "", err
	}
	var o rawObject
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, "", fmt.Errorf("decode list: %w", err)
	}
	for _, k := range append(itemKeys, "items", "data") {
		if v, ok := o[k]; ok && !bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			if err := json.Unmarshal(v, &items); err != nil {
				return nil, "", fmt.Errorf("decode list %q: %w", k, err)
			}
			break
		}
	}
	return items, o.str("next_cursor", "nextCursor", "next"), nil
}

func idPath(prefix, id string, rest ...string) string {
	p := prefix + "/" + url.PathEscape(id)
	for _, r := range rest {
		p += "/" + r
	}
	return p
}

// ListUsers returns every user of the organization, limit a page.
func (c *Client) ListUsers(ctx context.Context, limit int) ([]User, error) {
	return listPages[User](ctx, c, "/users", nil, limit, "users")
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

// AssignAdmin grants the organization admin role.
func (c *Client) AssignAdmin(ctx context.Context, accountID string) error {
	return c.do(ctx, http.MethodPost, idPath("/users", accountID, "admin_roles"), nil, nil, nil)
}

// UnassignAdmin takes the organization admin role back.
func (c *Client) UnassignAdmin(ctx context.Context, accountID string) error {
	return c.do(ctx, http.MethodPost, idPath("/users", accountID, "admin_roles", "unassign"), nil, nil, nil)
}

// ListPartitions returns every service partition of the organization, in
// one answer (a server that pages anyway is followed through next_cursor).
func (c *Client) ListPartitions(ctx context.Context) ([]ServicePartition, error) {
	return listPages[ServicePartition](ctx, c, "/organizations/service_partition", nil, 0, "service_partitions")
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

// AddUserPartitions assigns a user to service partitions (as a member).
func (c *Client) AddUserPartitions(ctx context.Context, accountID string, ids ...string) error {
	return c.do(ctx, http.MethodPost, idPath("/users", accountID, "service_partitions"), nil,
		Fields{"service_partition_ids": ids}, nil)
}

// RemoveUserPartitions takes a user out of service partitions.
func (c *Client) RemoveUserPartitions(ctx context.Context, accountID string, ids ...string) error {
	return c.do(ctx, http.MethodPost, idPath("/users", accountID, "service_partitions", "remove"), nil,
		Fields{"service_partition_ids": ids}, nil)
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
