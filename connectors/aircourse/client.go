package aircourse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/hashicorp/go-retryablehttp"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/orgbridge/orgbridge/internal/httpkit"
)

// User is an AirCourse user. Optional strings the API reports as null are
// "". Gender is nil when unset.
type User struct {
	ID                     string   `lenient:"id"`
	Name                   string   `lenient:"name"`
	UserNumber             string   `lenient:"userNumber"`
	Mail                   string   `lenient:"mail"`
	LoginID                string   `lenient:"loginId"`
	SlackMemberID          string   `lenient:"slackMemberId"`
	Status                 int      // 1 使用中, 2 利用停止, 3 招待中
	IsSuspended            bool     `lenient:"isSuspended"`
	IsAccountLocked        bool     `lenient:"isAccountLocked"`
	Notification           []string `lenient:"notification"`
	License                string   `lenient:"license"`
	HasAiKnowledgeLicense  int
	Role                   string   `lenient:"role"`
	MemberOrganizationIDs  []string `lenient:"memberOrganizationIds"`
	AdminOrganizationIDs   []string `lenient:"adminOrganizationIds"`
	Department             string   `lenient:"department"`
	Position               string   `lenient:"position"`
	Gender                 *int
	Birthday               string `lenient:"birthday"`
	Profile                string `lenient:"profile"`
	IsEnabledPasswordLogin bool   `lenient:"isEnabledPasswordLogin"`
	CreatedAt              string `lenient:"createdAt"`
	UpdatedAt              string `lenient:"updatedAt"`

	// HasOrgLists: the object carried memberOrganizationIds or
	// adminOrganizationIds, empty or not (a server may leave both out; the
	// document gives no response field; see Adapter.Read).
	HasOrgLists bool
}

// Organization is an AirCourse organization; ParentID is "" for the root.
type Organization struct {
	ID                 string   `lenient:"id"`
	Name               string   `lenient:"name"`
	Code               string   `lenient:"code"`
	ParentID           string   `lenient:"parentId"`
	AdminUserIDs       []string `lenient:"adminUserIds"`
	IsPublic           bool     `lenient:"isPublic"`
	StartDate          string   `lenient:"startDate"`
	EndDate            string   `lenient:"endDate"`
	IsEnableDiscussion bool     `lenient:"isEnableDiscussion"`
	Description        string   `lenient:"description"`
	CreatedAt          string   `lenient:"createdAt"`
	UpdatedAt          string   `lenient:"updatedAt"`
}

// Group is an AirCourse group.
type Group struct {
	ID                 string `lenient:"id"`
	Name               string `lenient:"name"`
	Code               string `lenient:"code"`
	OrganizationID     string `lenient:"organizationId"`
	IsViewableMember   bool   `lenient:"isViewableMember"`
	IsEnableDiscussion bool   `lenient:"isEnableDiscussion"`
	Description        string `lenient:"description"`
	CreatedAt          string `lenient:"createdAt"`
	UpdatedAt          string `lenient:"updatedAt"`
}

// Member is a user's row in an organization's or a group's user list.
type Member struct {
	UserID  string `lenient:"id,userId"`
	Name    string `lenient:"name"`
	LoginID string `lenient:"loginId"`
	Mail    string `lenient:"mail"`
	Role    string `lenient:"role"` // member or admin
}

// Meta is the pagination block of a list. The document does not give its
// keys: it is read in camel case (currentPage, lastPage), in Laravel's
// paginator's snake case (current_page, last_page), or by the query's own
// names (page, limit, total).
type Meta struct {
	CurrentPage int `json:"currentPage"`
	LastPage    int `json:"lastPage"`
	PerPage     int `json:"perPage"`
	Total       int `json:"total"`

	hasTotal bool // the server sent total
}

// UnmarshalJSON reads a meta block in either case, each number leniently.
func (m *Meta) UnmarshalJSON(b []byte) error {
	var o rawObject
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	get := func(keys ...string) int {
		for _, k := range keys {
			if n, ok := o.integer(k); ok {
				return n
			}
		}
		return 0
	}
	*m = Meta{
		CurrentPage: get("currentPage", "current_page", "page"),
		LastPage:    get("lastPage", "last_page"),
		PerPage:     get("perPage", "per_page", "limit"),
		Total:       get("total"),
	}
	_, m.hasTotal = o.integer("total")
	return nil
}

// Fields is the JSON body of a create or update call, by the API's field
// names. On update, an absent field is left as it is.
type Fields map[string]any

// Roles of a user in an organization or a group.
const (
	RoleMember = "member"
	RoleAdmin  = "admin"
)

// Client is a typed AirCourse API client over httpkit. Every call sends a
// bearer token from its TokenSource; a 401 invalidates the token and the
// call is tried once more with a new one (httpkit.BearerTokens).
type Client struct {
	base   *url.URL
	api    httpkit.Endpoint
	logger *zap.Logger

	// updates is what the client learnt of each kind of update (see
	// update), by route.
	updatesMu sync.Mutex
	updates   map[string]*updateRoute
}

// ClientOptions configure NewClient.
type ClientOptions struct {
	BaseURL string
	// HTTP is the retrying client (httpkit.NewClient); Tokens fetch through
	// the same client.
	HTTP   *retryablehttp.Client
	Tokens *httpkit.TokenSource
	Logger *zap.Logger
}

// NewClient returns a client of the API at o.BaseURL.
func NewClient(o ClientOptions) (*Client, error) {
	u, err := httpkit.ParseBaseURL("aircourse", o.BaseURL)
	if err != nil {
		return nil, err
	}
	if o.HTTP == nil || o.Tokens == nil {
		return nil, errors.New("aircourse: client needs an HTTP client and a token source")
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	auth := httpkit.BearerTokens{Tokens: o.Tokens, Logger: o.Logger}
	return &Client{base: u, api: httpkit.Endpoint{Base: u.String(), HTTP: o.HTTP, Auth: auth}, logger: o.Logger, updates: map[string]*updateRoute{}}, nil
}

// update sends an update call: PUT, or PATCH once the server has answered
// this kind of update (route, e.g. "/users/{userId}") with 405. The
// document names no method for any call: its updates change only the
// fields given (003:380), which a server may serve as PATCH alone, and its
// status table has the 405 (003:40), which leaves nothing applied, so the
// call is sent once more by the other method. Each kind is learnt apart
// (a server may take PUT on a user and PATCH on a member list), and
// concurrent calls of a kind wait while the first finds out: one 405 a
// kind and a run, two when neither method is served.
func (c *Client) update(ctx context.Context, route, path string, body, out any) error {
	c.updatesMu.Lock()
	r := c.updates[route]
	if r == nil {
		r = &updateRoute{}
		c.updates[route] = r
	}
	c.updatesMu.Unlock()
	method, known := r.get()
	if !known {
		r.probe.Lock()
		defer r.probe.Unlock()
		if method, known = r.get(); !known {
			method = http.MethodPut
		}
	}
	err := c.do(ctx, method, path, nil, body, out)
	if !isStatus(err, http.StatusMethodNotAllowed) {
		if routed(err) {
			r.set(method)
		}
		return err
	}
	other := http.MethodPatch
	if method == http.MethodPatch {
		other = http.MethodPut
	}
	c.logger.Info("the server refuses this update's method: sending it by the other",
		zap.String("route", route), zap.String("refused", method), zap.String("method", other))
	err = c.do(ctx, other, path, nil, body, out)
	if isStatus(err, http.StatusMethodNotAllowed) {
		return fmt.Errorf("%w (%s was 405 too)", err, method)
	}
	if routed(err) {
		r.set(other)
	}
	return err
}

// updateRoute is what a client knows of one kind of update: the method
// the server takes, once a response has shown it.
type updateRoute struct {
	probe  sync.Mutex // held by the calls that find the method out
	mu     sync.Mutex
	method string // "" until known
}

func (r *updateRoute) get() (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.method, r.method != ""
}

func (r *updateRoute) set(method string) {
	r.mu.Lock()
	r.method = method
	r.mu.Unlock()
}

func isStatus(err error, status int) bool {
	var se *httpkit.StatusError
	return errors.As(err, &se) && se.Status == status
}

// routed reports whether err (nil included) shows that the server took the
// call's method: a 2xx, or a refusal of its content (400, 409, 422). A 401
// or 403 may come before the route, a 404 may be a server's way of saying
// it has no such route, and a 429, a 5xx or no answer says nothing.
func routed(err error) bool {
	if err == nil {
		return true
	}
	var se *httpkit.StatusError
	if !errors.As(err, &se) {
		return false
	}
	switch se.Status {
	case http.StatusBadRequest, http.StatusConflict, http.StatusUnprocessableEntity:
		return true
	}
	return false
}

// maxPages stops a server that never says it is done.
const maxPages = 100000

// listConcurrency bounds the pages of one list read at a time once the
// first page has told how many there are: decoding a page of a thousand
// users takes about as long as the server takes to answer the next, so
// read one after another neither ever overlapped the other. The calls go
// through the same client, so a rate-limited tenant's pacer holds each of
// them as it holds any caller.
const listConcurrency = 4

// listPage is one page of a list as the server sent it.
type listPage[T any] struct {
	Data []T   `json:"data"`
	Meta *Meta `json:"meta"`
}

// UnmarshalValidJSON reads a page in one pass over the body DecodeJSON
// validated, each element by its own UnmarshalValidJSON: json.Unmarshal
// validated the page, scanned each element again to find its end and the
// element's UnmarshalJSON validated it once more. A page of any other
// shape (data not a list, a member named in another case, which
// encoding/json matches to a field too) is json.Unmarshal's, so the
// values and errors are the same.
func (p *listPage[T]) UnmarshalValidJSON(b []byte) error {
	o, ok := httpkit.ValidObject(b)
	if !ok {
		return json.Unmarshal(b, p)
	}
	for k := range o {
		if k != "data" && k != "meta" && (strings.EqualFold(k, "data") || strings.EqualFold(k, "meta")) {
			return json.Unmarshal(b, p)
		}
	}
	slot := p.Data[:0] // where list wants the page (see list)
	*p = listPage[T]{}
	if raw, ok := o["data"]; ok && string(raw) != "null" {
		elems, ok := httpkit.ValidArray(raw)
		if !ok {
			return json.Unmarshal(b, p) // its type error
		}
		if slot != nil && cap(slot) >= len(elems) {
			p.Data = slot[:len(elems)]
		} else {
			p.Data = make([]T, len(elems))
		}
		for i, e := range elems {
			if httpkit.UnmarshalValid(e, &p.Data[i]) != nil {
				return json.Unmarshal(b, p) // its error, which names the field
			}
		}
	}
	if raw, ok := o["meta"]; ok && json.Unmarshal(raw, &p.Meta) != nil {
		return json.Unmarshal(b, p)
	}
	return nil
}

// list is every item of path (eachPage), in order.
func list[T any](ctx context.Context, c *Client, path string, filter url.Values, pageSize int) ([]T, error) {
	var all []T
	err := eachPage(ctx, c, path, filter, pageSize, func(page []T) error {
		all = append(all, page...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return all, nil
}

// eachPage pages through path until a page is the last: meta.lastPage
// when the server gives it, else once meta.total items are read when it
// gives that, else at a page shorter than asked; always at an empty page.
// It hands each page to each, in page order; the page's slice is decoded
// into again once each returns, so each copies what it keeps. An error of
// each stops the reading and is returned.
//
// When the first page gives a lastPage, the pages after it are known
// before any is read, and are read listConcurrency at a time, each decoded
// as it arrives, and handed on in page order with the same stops (a page
// before the last that comes back empty ends the list there, as it did
// read one after another). Without a lastPage the count of pages is not
// known (a page of page, limit and total may be cut shorter than asked),
// so those are read one after another. A server whose last page then says
// there are more (items added meanwhile) is read on one after another, as
// before.
//
// Handing pages on, not joining them, lets a caller keep what it needs of
// each item and drop the rest: a million AirCourse users decoded into one
// list were 360 MB held until Read had made its snapshot, and the first
// touch of that memory was a tenth of a no-change sync's CPU (issue 13).
func eachPage[T any](ctx context.Context, c *Client, path string, filter url.Values, pageSize int, each func([]T) error) error {
	// The slices pages are decoded into, for the next page once handed on:
	// only the pages in flight and those waiting for their turn hold one.
	var (
		freeMu sync.Mutex
		free   [][]T
	)
	take := func() []T {
		freeMu.Lock()
		defer freeMu.Unlock()
		if n := len(free); n > 0 {
			b := free[n-1]
			free = free[:n-1]
			return b
		}
		return nil
	}
	give := func(b []T) {
		freeMu.Lock()
		free = append(free, b[:0])
		freeMu.Unlock()
	}
	get := func(ctx context.Context, page int) (listPage[T], error) {
		q := url.Values{"limit": {strconv.Itoa(pageSize)}, "page": {strconv.Itoa(page)}}
		for k, v := range filter {
			q[k] = v
		}
		out := listPage[T]{Data: take()}
		err := c.do(ctx, http.MethodGet, path, q, nil, &out)
		return out, err
	}
	read := 0
	// hand passes page number page on and reports whether it is the last.
	hand := func(page int, out listPage[T]) (last bool, err error) {
		n := len(out.Data)
		read += n
		if n > 0 {
			if err := each(out.Data); err != nil {
				return true, err
			}
		}
		if out.Data != nil {
			give(out.Data)
		}
		switch {
		case n == 0:
			return true, nil
		case out.Meta != nil && out.Meta.LastPage > 0:
			return page >= out.Meta.LastPage, nil
		case out.Meta != nil && out.Meta.hasTotal:
			// No last page (a meta of page, limit and total): the total
			// says when all is read, also where the server cut a page
			// shorter than asked.
			return read >= out.Meta.Total, nil
		}
		return n < pageSize, nil
	}
	first, err := get(ctx, 1)
	if err != nil {
		return err
	}
	meta := first.Meta
	if last, err := hand(1, first); last || err != nil {
		return err
	}
	next := 2
	if meta != nil && meta.LastPage > 1 {
		last := min(meta.LastPage, maxPages)
		done, err := handInOrder(ctx, 2, last, get, hand)
		if done || err != nil {
			return err
		}
		next = last + 1
	}
	for page := next; ; page++ {
		if page > maxPages {
			return fmt.Errorf("GET %s: more than %d pages", path, maxPages)
		}
		out, err := get(ctx, page)
		if err != nil {
			return err
		}
		if last, err := hand(page, out); last || err != nil {
			return err
		}
	}
}

// handInOrder reads pages from to last, listConcurrency at a time, and
// hands each to hand in page order as it comes; done is true once hand
// says a page is the last (the pages after it are not read, or dropped).
// The first error (of a read or of hand) stops it and is returned.
func handInOrder[P any](ctx context.Context, from, last int, get func(context.Context, int) (P, error),
	hand func(int, P) (bool, error)) (done bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make([]chan P, last-from+1)
	for i := range pages {
		pages[i] = make(chan P, 1)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(listConcurrency)
	launched := make(chan struct{})
	go func() {
		defer close(launched)
		for i := range pages {
			if gctx.Err() != nil {
				return
			}
			g.Go(func() error {
				p, err := get(gctx, from+i)
				if err != nil {
					return err
				}
				pages[i] <- p
				return nil
			})
		}
	}()
	// finish stops the reads still going and waits for them: their
	// errors, after a cancel of ours, are not the list's.
	finish := func() error {
		cancel()
		<-launched
		return g.Wait()
	}
	for i := range pages {
		select {
		case p := <-pages[i]:
			if last, err := hand(from+i, p); last || err != nil {
				_ = finish()
				return true, err
			}
		case <-gctx.Done():
			if err := finish(); err != nil {
				return true, err
			}
			return true, ctx.Err() // ours, or the caller's
		}
	}
	return false, finish()
}

// do sends one API call: body (nil: none) as JSON, out (nil: discarded)
// decoded from the response. path is already escaped (idPath).
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	return c.api.JSON(ctx, method, path, query, body, out)
}

func idPath(prefix, id string, rest ...string) string {
	p := prefix + "/" + url.PathEscape(id)
	for _, r := range rest {
		p += "/" + r
	}
	return p
}

type one[T any] struct {
	Data T `json:"data"`
}

// allStatuses names every user status (使用中, 利用停止, 招待中). The document
// does not say what a list without status holds (for organizations it says
// 未指定の場合は全て取得します; for users it does not), so every list of users
// names them all.
const allStatuses = "1,2,3"

// ListUsers returns every user whatever its status, pageSize at a time.
func (c *Client) ListUsers(ctx context.Context, pageSize int) ([]User, error) {
	return list[User](ctx, c, "/users", url.Values{"status": {allStatuses}}, pageSize)
}

// EachUsersPage hands every user whatever its status to each, a page at a
// time (eachPage: each copies what it keeps).
func (c *Client) EachUsersPage(ctx context.Context, pageSize int, each func([]User) error) error {
	return eachPage(ctx, c, "/users", url.Values{"status": {allStatuses}}, pageSize, each)
}

// ListGlobalAdmins returns the active users whose role is admin (全体管理者).
func (c *Client) ListGlobalAdmins(ctx context.Context, pageSize int) ([]User, error) {
	return list[User](ctx, c, "/users", url.Values{"status": {"1"}, "role": {"admin"}}, pageSize)
}

// ListOrgs returns every organization, the root included.
func (c *Client) ListOrgs(ctx context.Context, pageSize int) ([]Organization, error) {
	return list[Organization](ctx, c, "/organizations", nil, pageSize)
}

// ListGroups returns every group, the everyone group included.
func (c *Client) ListGroups(ctx context.Context, pageSize int) ([]Group, error) {
	return list[Group](ctx, c, "/groups", nil, pageSize)
}

// Users are the users: Create reads no password the server generates, so
// it is neither returned nor logged.
func (c *Client) Users() Collection[User] {
	return Collection[User]{c: c, path: "/users", route: "/users/{userId}"}
}

// Orgs are the organizations. Deleting one deletes the organizations
// below it; their users and groups move to its parent.
func (c *Client) Orgs() Collection[Organization] {
	return Collection[Organization]{c: c, path: "/organizations", route: "/organizations/{organizationId}"}
}

// Groups are the groups.
func (c *Client) Groups() Collection[Group] {
	return Collection[Group]{c: c, path: "/groups", route: "/groups/{groupId}"}
}

// Collection is one of the API's collections (Users, Orgs, Groups): each
// is read, created, updated and deleted alike, one object in a "data"
// envelope, and the members of an organization or a group are alike too
// (Members).
type Collection[T any] struct {
	c     *Client
	path  string // "/users"
	route string // the update route of one object, "/users/{userId}" (see Client.update)
}

// Get returns one object.
func (r Collection[T]) Get(ctx context.Context, id string) (T, error) {
	var out one[T]
	err := r.c.do(ctx, http.MethodGet, idPath(r.path, id), nil, nil, &out)
	return out.Data, err
}

// Create creates an object.
func (r Collection[T]) Create(ctx context.Context, f Fields) (T, error) {
	var out one[T]
	err := r.c.do(ctx, http.MethodPost, r.path, nil, f, &out)
	return out.Data, err
}

// Update changes the given fields of an object.
func (r Collection[T]) Update(ctx context.Context, id string, f Fields) (T, error) {
	var out one[T]
	err := r.c.update(ctx, r.route, idPath(r.path, id), f, &out)
	return out.Data, err
}

// Delete deletes an object.
func (r Collection[T]) Delete(ctx context.Context, id string) error {
	return r.c.do(ctx, http.MethodDelete, idPath(r.path, id), nil, nil, nil)
}

// Members are the users of the organization or group id, with their roles.
func (r Collection[T]) Members(id string) MemberList {
	return MemberList{c: r.c, path: idPath(r.path, id, "users"), route: r.route + "/users"}
}

// MemberList is the user list of one organization or group.
type MemberList struct {
	c     *Client
	path  string // "/groups/grp_1/users"
	route string // "/groups/{groupId}/users"
}

// List returns the members with their roles; a role ("member" or "admin")
// lists only those, "" every one.
func (m MemberList) List(ctx context.Context, role string, pageSize int) ([]Member, error) {
	var filter url.Values
	if role != "" {
		filter = url.Values{"role": {role}}
	}
	return list[Member](ctx, m.c, m.path, filter, pageSize)
}

// Add adds a user with a role.
func (m MemberList) Add(ctx context.Context, userID, role string) error {
	return m.c.do(ctx, http.MethodPost, m.path, nil, memberBody{userID, role}, nil)
}

// Update changes a user's role.
func (m MemberList) Update(ctx context.Context, userID, role string) error {
	return m.c.update(ctx, m.route, m.path, memberBody{userID, role}, nil)
}

// Remove removes a user.
func (m MemberList) Remove(ctx context.Context, userID string) error {
	return m.c.do(ctx, http.MethodDelete, m.path, nil, memberBody{UserID: userID}, nil)
}

type memberBody struct {
	UserID string `json:"userId"`
	Role   string `json:"role,omitempty"`
}

// Lenient decoding: the document gives few response shapes, so every field
// is read whatever JSON type it comes in (a number as a string, 0/1 as a
// boolean, null as empty): the strings, booleans and lists by their tags
// (httpkit.DecodeLenient), the numbers from a rawObject.

type rawObject map[string]json.RawMessage

func (o rawObject) integer(k string) (int, bool) {
	s := httpkit.Scalar(o[k])
	if s == "" {
		return 0, false
	}
	if b, err := strconv.ParseBool(s); err == nil && (s == "true" || s == "false") {
		if b {
			return 1, true
		}
		return 0, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return int(f), true
}

// UnmarshalJSON reads a user leniently (httpkit.DecodeLenient, by its
// tags); its numbers (status, hasAiKnowledgeLicense, gender) from the
// object, true and false as 1 and 0.
func (u *User) UnmarshalJSON(b []byte) error {
	raw, err := httpkit.DecodeLenient(b, u)
	if err != nil {
		return err
	}
	u.numbers(raw)
	return nil
}

// UnmarshalValidJSON is UnmarshalJSON of b already known to be valid
// (an element of a list page).
func (u *User) UnmarshalValidJSON(b []byte) error {
	return httpkit.DecodeLenientValid(b, u, u.numbers)
}

// numbers reads what the tags do not from the user's object: whether it
// carries the org lists, and the numbers.
func (u *User) numbers(raw map[string]json.RawMessage) {
	o := rawObject(raw)
	_, hasMember := o["memberOrganizationIds"]
	_, hasAdmin := o["adminOrganizationIds"]
	u.HasOrgLists = hasMember || hasAdmin
	u.Status, _ = o.integer("status")
	u.HasAiKnowledgeLicense, _ = o.integer("hasAiKnowledgeLicense")
	if g, ok := o.integer("gender"); ok {
		u.Gender = &g
	}
}

// UnmarshalJSON reads an organization leniently (httpkit.UnmarshalLenient, by
// its tags).
func (g *Organization) UnmarshalJSON(b []byte) error {
	return httpkit.UnmarshalLenient(b, g)
}

// UnmarshalValidJSON is UnmarshalJSON of b already known to be valid.
func (g *Organization) UnmarshalValidJSON(b []byte) error {
	return httpkit.UnmarshalLenientValid(b, g)
}

// UnmarshalJSON reads a group leniently (httpkit.UnmarshalLenient, by its
// tags).
func (g *Group) UnmarshalJSON(b []byte) error {
	return httpkit.UnmarshalLenient(b, g)
}

// UnmarshalValidJSON is UnmarshalJSON of b already known to be valid.
func (g *Group) UnmarshalValidJSON(b []byte) error {
	return httpkit.UnmarshalLenientValid(b, g)
}

// UnmarshalJSON reads a member row leniently (httpkit.UnmarshalLenient, by
// its tags); the user's id is "id" or "userId".
func (m *Member) UnmarshalJSON(b []byte) error {
	return httpkit.UnmarshalLenient(b, m)
}

// UnmarshalValidJSON is UnmarshalJSON of b already known to be valid.
func (m *Member) UnmarshalValidJSON(b []byte) error {
	return httpkit.UnmarshalLenientValid(b, m)
}
