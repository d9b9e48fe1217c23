package pcaid

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/go-retryablehttp"
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/httpkit"
)

// Fields is the JSON body of a write, by the API's field names.
type Fields map[string]any

// Client is a typed client of the pcaid organization API over httpkit.
// Every call sends a bearer token from its TokenSource; a 401, or a 403
// (an authorizer's Deny), invalidates the token and the call is sent once
// more with a new one.
type Client struct {
	api  httpkit.Endpoint
	auth *tokenAuth
}

// ClientOptions configure NewClient.
type ClientOptions struct {
	// BaseURL is the API's root, ending in /api/orgs/v1 on the emulator.
	BaseURL string
	// HTTP is the retrying client (httpkit.NewClient); Tokens fetch through
	// the same client.
	HTTP   *retryablehttp.Client
	Tokens *httpkit.TokenSource
	// FormTokens, when set, is the same client authenticated by client_id
	// and client_secret in the token request's form: used from the first
	// time the token endpoint refuses Tokens' client authentication.
	FormTokens *httpkit.TokenSource
	Logger     *zap.Logger
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
	auth := &tokenAuth{tokens: o.Tokens, form: o.FormTokens, logger: o.Logger}
	return &Client{api: httpkit.Endpoint{Base: u.String(), HTTP: o.HTTP, Auth: auth}, auth: auth}, nil
}

// do sends one API call: body (nil: none) as JSON, out (nil: discarded)
// decoded from the response. path is already escaped.
//
// A 403 is sent once more with a new token: the endpoints sit behind a
// gateway's custom authorizer (000:9), which may answer a token it does
// not take (an expired one, a revoked one) with a Deny, 403, where an API
// answers 401. A request the authorizer refused was not processed, so
// sending it again is safe; a second 403 is the answer.
//
// The document gives no status codes, so a refused body may come as 400
// and a value in use as 409 rather than 422: both are made a
// *connectors.FieldError (a 409 still wraps connectors.ErrConflict), the
// server's message naming the field.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	sent := &sentToken{}
	err := c.api.JSON(context.WithValue(ctx, sentTokenKey{}, sent), method, path, query, body, out)
	var se *httpkit.StatusError
	if errors.As(err, &se) && se.Status == http.StatusForbidden && c.auth.renew(sent.get()) {
		err = c.api.JSON(ctx, method, path, query, body, out)
	}
	if errors.As(err, &se) && (se.Status == http.StatusBadRequest || se.Status == http.StatusConflict) {
		var fe *connectors.FieldError
		if !errors.As(se.Err, &fe) {
			fe = &connectors.FieldError{Status: se.Status, Message: se.Message}
			if se.Err != nil {
				se.Err = errors.Join(fe, se.Err)
			} else {
				se.Err = fe
			}
		}
	}
	return err
}

// tokenAuth is httpkit.BearerTokens over a token source that may change
// once: a token endpoint that reads the client only from the form
// (client_secret_post) refuses HTTP Basic, which RFC 6749 2.3.1 makes the
// default, so a refused Basic request is tried again with the client in
// the form, and the form is used from then on.
type tokenAuth struct {
	tokens, form *httpkit.TokenSource
	useForm      atomic.Bool
	logger       *zap.Logger
}

func (a *tokenAuth) source() *httpkit.TokenSource {
	if a.useForm.Load() {
		return a.form
	}
	return a.tokens
}

// sentToken holds the token the last attempt of a call carried, for the
// call's context (sentTokenKey): a 403 drops that token, not one another
// call has fetched since.
type sentToken struct {
	mu  sync.Mutex
	tok string
}

func (s *sentToken) set(tok string) { s.mu.Lock(); s.tok = tok; s.mu.Unlock() }
func (s *sentToken) get() string    { s.mu.Lock(); defer s.mu.Unlock(); return s.tok }

type sentTokenKey struct{}

// Authorize sets a valid token.
func (a *tokenAuth) Authorize(ctx context.Context, req *retryablehttp.Request) error {
	src := a.source()
	tok, err := src.Token(ctx)
	if err != nil && a.form != nil && src == a.tokens && clientRefused(err) {
		ftok, ferr := a.form.Token(ctx)
		if ferr != nil {
			return fmt.Errorf("access token: %w; with client_id and client_secret in the form instead: %v", err, ferr)
		}
		if a.useForm.CompareAndSwap(false, true) {
			a.logger.Info("the token endpoint refused HTTP Basic and took the client in the form: the form from now on")
		}
		tok, err = ftok, nil
	}
	if err != nil {
		return fmt.Errorf("access token: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if sent, ok := ctx.Value(sentTokenKey{}).(*sentToken); ok {
		sent.set(tok)
	}
	return nil
}

// Refused invalidates the token req carried and reports true: one more
// try with a new token, as httpkit.BearerTokens does over the source in
// use.
func (a *tokenAuth) Refused(req *retryablehttp.Request) bool {
	return httpkit.BearerTokens{Tokens: a.source(), Logger: a.logger}.Refused(req)
}

// renew drops tok, the token a call answered 403 carried (an
// authorizer's refusal of it, maybe), if it is still the current one (a
// token another call has fetched since is kept: concurrent 403s cause
// one fetch), and reports whether there was a token to drop.
func (a *tokenAuth) renew(tok string) bool {
	if tok == "" {
		return false
	}
	a.source().Invalidate(tok)
	a.logger.Debug("403: the call is sent once more with a new access token")
	return true
}

// clientRefused reports a token request refused for its client
// authentication: a 401 (invalid_client) or a 400 (invalid_request, the
// client missing from a form that was expected to carry it).
func clientRefused(err error) bool {
	var se *httpkit.StatusError
	return errors.As(err, &se) && (se.Status == http.StatusUnauthorized || se.Status == http.StatusBadRequest)
}

// maxPages stops a server that never says it is done.
const maxPages = 100000

// cursorParams maps the key a list answer gives its next page's cursor
// under to the query parameter the cursor goes back as: next_cursor (our
// contract) as cursor, AWS's next_token and nextToken as themselves,
// Google's next_page_token as page_token.
var cursorParams = []struct{ key, param string }{
	{"next_cursor", "cursor"}, {"nextCursor", "cursor"}, {"next", "cursor"},
	{"next_token", "next_token"}, {"nextToken", "nextToken"},
	{"next_page_token", "page_token"}, {"nextPageToken", "pageToken"},
}

// pagingKeys are the keys of a list answer that say how it pages (or
// that are known to say nothing more): any other key beside the items
// may be a cursor orgbridge does not know.
var pagingKeys = map[string]bool{
	"total": true, "total_count": true, "totalCount": true, "count": true,
	"page": true, "limit": true, "offset": true, "per_page": true, "perPage": true,
	"page_size": true, "pageSize": true, "has_more": true, "hasMore": true,
}

// keyed is what a list holds: items with an id, so that a page that
// brings nothing new can be told.
type keyed interface{ pageKey() string }

func (u User) pageKey() string             { return u.AccountID }
func (p ServicePartition) pageKey() string { return p.ID }
func (m PartitionUser) pageKey() string    { return m.AccountID }

// listPages reads every page of a list, limit items a page. The document
// gives no paging, so a page is asked for in every way at once, each
// ignored by a server that pages otherwise: limit, page (from 1), offset
// (the items so far, from 0) and, after a page that gave one, the cursor
// under the parameter its key calls for (cursorParams). The answer says
// how to go on:
//
//   - a cursor goes on by cursor; its key present with no value, or absent
//     after earlier pages had it (AWS leaves it out on the last page), ends
//     the list;
//   - a total (total, total_count) goes on by page and offset until that
//     many items came; has_more the same until it is false;
//   - with none of these, the next page is asked for (a server may page by
//     page or offset and say nothing more, at a size of its own): items not
//     seen go on, none end the list. A list that is not paged costs one
//     more GET.
//
// A page that brings nothing new where the answer said there was more (a
// total not reached, has_more) is an error: the server pages in a way
// orgbridge cannot follow, and stopping there would read the list short.
// So is a full page followed by the same page again when the answer holds
// a key orgbridge does not know and the server honours limit (asked at
// another size, it answers another size): the key may be such a cursor. A cursor that
// comes back twice is an error, not an endless loop. Items are taken from
// the first of itemKeys present (or "items", "data", or a bare array).
func listPages[T keyed](ctx context.Context, c *Client, path string, query url.Values, limit int, itemKeys ...string) ([]T, error) {
	var (
		all        []T
		cursor     page[T] // the last page that gave a cursor
		cursorSeen bool
		consumed   int // items received, repeats included: the next offset
	)
	seen := map[string]bool{}
	seenCursor := map[string]bool{}
	for n := 1; ; n++ {
		if n > maxPages {
			return nil, fmt.Errorf("GET %s: more than %d pages", path, maxPages)
		}
		q := pageQuery(query, limit, n, consumed)
		if cursor.next != "" {
			q.Set(cursor.param, cursor.next)
		}
		p, err := getPage[T](ctx, c, path, q, itemKeys)
		if err != nil {
			return nil, err
		}
		consumed += len(p.items)
		fresh := 0
		for _, it := range p.items {
			if k := it.pageKey(); k == "" || !seen[k] {
				seen[k] = true
				all = append(all, it)
				fresh++
			}
		}
		cursor.next = ""
		switch {
		case len(p.items) == 0:
			return all, nil
		case p.next != "":
			if seenCursor[p.next] {
				return nil, fmt.Errorf("GET %s: the server sent cursor %q twice", path, p.next)
			}
			seenCursor[p.next], cursor, cursorSeen = true, p, true
			continue
		case p.cursorKey != "" || cursorSeen:
			return all, nil // the cursor's key with no value, or gone: the last page
		}
		if fresh == 0 {
			switch {
			case p.total >= 0 || p.hasMore:
				return nil, fmt.Errorf("GET %s: page %d repeats the items before it though the answer says there are more: the server pages in a way orgbridge cannot follow (it sent limit, page, offset and cursor)", path, n)
			case len(p.unknown) > 0 && limit > 0 && len(p.items) == limit:
				// A full page again, and a key orgbridge does not know: a
				// cursor of another name, or a whole list of exactly limit
				// items with a key of its own. A page of another size
				// tells: a server that honours it pages.
				paged, err := honoursLimit[T](ctx, c, path, query, limit, itemKeys)
				if err != nil {
					return nil, err
				}
				if paged {
					return nil, fmt.Errorf("GET %s: the server pages (it honours limit) but answered page %d as page %d, and its answer holds %s, which orgbridge does not know: if that is a cursor the list cannot be read to its end (it sent limit, page, offset and cursor)", path, n, n-1, strings.Join(p.unknown, ", "))
				}
			}
			return all, nil // a whole list (or a last full page) answered again
		}
		switch {
		case p.total >= 0:
			if len(all) >= p.total {
				return all, nil
			}
		case p.hasMoreKnown:
			if !p.hasMore {
				return all, nil
			}
		}
		// Nothing says: the next page tells (a server may page by page or
		// offset at a size of its own, whatever limit asked for).
	}
}

// honoursLimit asks for the first page at another size than limit and
// reports whether the answer is of another size than limit: a server that
// pages by the limit it is sent.
func honoursLimit[T keyed](ctx context.Context, c *Client, path string, query url.Values, limit int, itemKeys []string) (bool, error) {
	probe := limit - 1
	if probe < 1 {
		probe = limit + 1
	}
	p, err := getPage[T](ctx, c, path, pageQuery(query, probe, 1, 0), itemKeys)
	if err != nil {
		return false, err
	}
	return len(p.items) != limit, nil
}

// pageQuery is query asking for page n at offset, limit a page (none when
// limit is 0).
func pageQuery(query url.Values, limit, n, offset int) url.Values {
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	q.Set("page", strconv.Itoa(n))
	q.Set("offset", strconv.Itoa(offset))
	return q
}

// getPage sends one list request and decodes its answer.
func getPage[T any](ctx context.Context, c *Client, path string, q url.Values, itemKeys []string) (page[T], error) {
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodGet, path, q, nil, &raw); err != nil {
		return page[T]{}, err
	}
	p, err := decodePage[T](raw, itemKeys)
	if err != nil {
		return page[T]{}, fmt.Errorf("GET %s: %w", path, err)
	}
	return p, nil
}

// page is one answer of a list.
type page[T any] struct {
	items []T
	next  string // the next page's cursor; "" for none
	// param is the query parameter next goes back as; cursorKey the key
	// it came under, when the answer has one (even with no value).
	param, cursorKey string
	total            int // the list's length when the answer says it; -1 otherwise
	hasMore          bool
	hasMoreKnown     bool
	// unknown are the answer's keys that are neither items nor known
	// paging keys, sorted.
	unknown []string
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
	itemKey := ""
	for _, k := range append(itemKeys, "items", "data") {
		if v, ok := o[k]; ok && !bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			if err := json.Unmarshal(v, &p.items); err != nil {
				return p, fmt.Errorf("decode list %q: %w", k, err)
			}
			itemKey = k
			break
		}
	}
	for _, cp := range cursorParams {
		if _, ok := o[cp.key]; ok {
			p.cursorKey, p.param, p.next = cp.key, cp.param, o.str(cp.key)
			break
		}
	}
	if n, ok := o.integer("total", "total_count", "totalCount"); ok {
		p.total = n
	}
	p.hasMore, p.hasMoreKnown = o.boolean("has_more", "hasMore")
	for k := range o {
		if k != itemKey && k != p.cursorKey && !pagingKeys[k] && !slices.Contains(itemKeys, k) {
			p.unknown = append(p.unknown, k)
		}
	}
	slices.Sort(p.unknown)
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
