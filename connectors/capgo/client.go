package capgo

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

	"github.com/hashicorp/go-retryablehttp"
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/httpkit"
)

// OrgPath is the document's one resource, relative to the base URL.
const OrgPath = "/organization/"

// Organization is a Capgo organization, the document's Organization.
// Optional strings the API reports as null are "".
type Organization struct {
	ID              string `lenient:"id"`
	CreatedBy       string `lenient:"created_by"`
	CreatedAt       string `lenient:"created_at"`
	UpdatedAt       string `lenient:"updated_at"`
	Logo            string `lenient:"logo"`
	Name            string `lenient:"name"`
	ManagementEmail string `lenient:"management_email"`
	CustomerID      string `lenient:"customer_id"`
}

// Fields is the JSON body of an update by the API's field names (name,
// management_email, logo); orgId is added by UpdateOrg.
type Fields map[string]any

// Errors a call wraps (with the *httpkit.StatusError of the response) so
// that callers can tell them apart.
var (
	// ErrInvalidAPIKey: a 401. A Capgo API key cannot be renewed, so this
	// is never retried and never marked transient.
	ErrInvalidAPIKey = errors.New("the API key was refused")
	// ErrAdminRoleRequired: a 403 on PUT or DELETE, the document's "Admin
	// role required".
	ErrAdminRoleRequired = errors.New("the API key's user does not have the admin role in the organization")
)

// Client is a typed client of the Capgo organization API over httpkit.
// Every call sends the raw API key in the authorization header.
type Client struct {
	api     httpkit.Endpoint
	key     string
	keyName string
	logger  *zap.Logger
}

// ClientOptions configure NewClient.
type ClientOptions struct {
	// BaseURL is the API's root (https://api.capgo.app).
	BaseURL string
	// HTTP is the retrying client (httpkit.NewClient).
	HTTP   *retryablehttp.Client
	APIKey string
	// KeyName says where the key comes from, for the error of a refused
	// key ("capgo.api_key (environment variable CAPGO_API_KEY)").
	KeyName string
	Logger  *zap.Logger
}

// NewClient returns a client of the API at o.BaseURL.
func NewClient(o ClientOptions) (*Client, error) {
	if _, err := httpkit.ParseBaseURL("capgo", o.BaseURL); err != nil {
		return nil, err
	}
	if o.HTTP == nil || o.APIKey == "" {
		return nil, errors.New("capgo: client needs an HTTP client and an API key")
	}
	if o.KeyName == "" {
		o.KeyName = "capgo.api_key"
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	// The document's header: the raw key, no scheme.
	api := httpkit.Endpoint{Base: strings.TrimRight(o.BaseURL, "/"), HTTP: o.HTTP, Auth: httpkit.HeaderAuth{Value: o.APIKey}}
	return &Client{api: api, key: o.APIKey, keyName: o.KeyName, logger: o.Logger}, nil
}

// maxPages stops a server that keeps answering new organizations.
const maxPages = 10000

// ListOrgs returns every organization the key lists. The document shows no
// pagination, but a server may page the list (Capgo's own server does:
// ?page= from 0, 50 a page), and one that does not ignores the parameter.
// So pages are asked for from 0 until one is empty or brings no
// organization not seen before: a paged list is read to its end, whatever
// its page size.
//
// A server may count its pages from 1 and take page 0 for page 1 (a clamp,
// as most paging helpers do): its page 1 then repeats page 0 exactly, as a
// server that does not page repeats its whole list. Only page 2 tells them
// apart (the next page, or the whole list again), so when page 1 repeats
// page 0 it is asked for too: a whole list costs two more GETs, never a
// page left unread (which would have orgbridge create again what exists).
func (c *Client) ListOrgs(ctx context.Context) ([]Organization, error) {
	var (
		all   []Organization
		first []string // the ids of page 0, in order
	)
	seen := map[string]bool{}
	for page := 0; ; page++ {
		if page >= maxPages {
			return nil, fmt.Errorf("GET %s: more than %d pages", OrgPath, maxPages)
		}
		raw, err := c.do(ctx, http.MethodGet, url.Values{"page": {strconv.Itoa(page)}}, nil)
		if err != nil {
			return nil, err
		}
		orgs, err := decodeList(raw)
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", OrgPath, err)
		}
		fresh := 0
		ids := make([]string, 0, len(orgs))
		for _, o := range orgs {
			ids = append(ids, o.ID)
			if o.ID == "" || seen[o.ID] {
				continue
			}
			seen[o.ID] = true
			all = append(all, o)
			fresh++
		}
		switch {
		case page == 0:
			first = ids
		case fresh == 0 && page == 1 && len(ids) > 0 && slices.Equal(ids, first):
			continue // page 0 was page 1, or there are no pages: page 2 tells
		}
		if fresh == 0 {
			return all, nil
		}
	}
}

// GetOrg returns one organization; connectors.ErrNotFound when the key
// cannot see it.
func (c *Client) GetOrg(ctx context.Context, id string) (Organization, error) {
	raw, err := c.do(ctx, http.MethodGet, url.Values{"orgId": {id}}, nil)
	if err != nil {
		return Organization{}, err
	}
	return decodeOne(raw)
}

// CreateOrg creates an organization and returns its id. The document's
// create call takes a name; f may carry more (management_email), which a
// server may take, ignore or refuse (see the adapter).
func (c *Client) CreateOrg(ctx context.Context, f Fields) (string, error) {
	raw, err := c.do(ctx, http.MethodPost, nil, f)
	if err != nil {
		return "", err
	}
	var out rawObject
	if err := json.Unmarshal(raw, &out); err != nil {
		return "", fmt.Errorf("POST %s: decode response: %w", OrgPath, err)
	}
	id := out.str("id")
	if id == "" {
		// Lenient: a server that answers the created organization.
		var data rawObject
		if json.Unmarshal(out["data"], &data) == nil {
			id = data.str("id")
		}
	}
	if id == "" {
		return "", fmt.Errorf("POST %s: the response has no id (the organization may have been created: the next run matches it by name)", OrgPath)
	}
	return id, nil
}

// UpdateOrg changes the given fields of an organization and returns what
// the server answers of it (possibly only some fields).
func (c *Client) UpdateOrg(ctx context.Context, id string, f Fields) (Organization, error) {
	payload := make(map[string]any, len(f)+1)
	for k, v := range f {
		payload[k] = v
	}
	payload["orgId"] = id
	raw, err := c.do(ctx, http.MethodPut, nil, payload)
	if err != nil {
		return Organization{}, err
	}
	o, err := decodeOne(raw)
	if err != nil {
		// The update was applied; an answer we cannot read is not a failure.
		c.logger.Debug("update answered without an organization", zap.String("org_id", id))
		return Organization{ID: id}, nil
	}
	return o, nil
}

// DeleteOrg deletes an organization (and, in Capgo, its apps and bundles).
func (c *Client) DeleteOrg(ctx context.Context, id string) error {
	_, err := c.do(ctx, http.MethodDelete, url.Values{"orgId": {id}}, nil)
	return err
}

// do sends one call to OrgPath and returns the 2xx body. A 2xx whose body
// is in the error shape ({"error":…,"status":"KO"}: the document gives its
// errors as bodies, with no status code) is an error like any other.
func (c *Client) do(ctx context.Context, method string, query url.Values, body any) (json.RawMessage, error) {
	resp, err := c.api.Send(ctx, method, OrgPath, query, body)
	if err != nil {
		return nil, httpkit.RedactError(c.classify(err), c.key)
	}
	var raw json.RawMessage
	if err := httpkit.DecodeJSON(resp, &raw); err != nil {
		return nil, httpkit.RedactError(err, c.key)
	}
	if msg, ko := koError(raw); ko {
		se := &httpkit.StatusError{Method: method, Path: OrgPath, Status: resp.StatusCode, Message: msg}
		return nil, httpkit.RedactError(fmt.Errorf("an error body with a %d: %w", resp.StatusCode, c.classify(se)), c.key)
	}
	return raw, nil
}

// errorKind is what an error response means.
type errorKind int

const (
	kindOther errorKind = iota
	kindInvalidKey
	kindAdminRole
	kindNotFound
	kindValidation
)

// kindOf tells what an error means. The document gives its errors as
// messages with no status code (002:107-123), so the message comes first:
// the document's "Invalid API key" is the key and "Admin role required"
// the role whatever status carries them (a server may answer the key 403
// or the role 401, or every error 400 or 200). Then 401, 403 and 404 say
// it by their status; then a message saying not found (or, as Capgo's own
// server says, that the organization cannot be accessed); anything else is
// a validation error.
func kindOf(status int, msg string) errorKind {
	switch {
	case status == http.StatusMethodNotAllowed, status == http.StatusTooManyRequests, status >= 500:
		return kindOther
	}
	m := strings.ToLower(msg)
	switch {
	case strings.Contains(m, "api key") || strings.Contains(m, "apikey"):
		return kindInvalidKey
	case strings.Contains(m, "admin role") || strings.Contains(m, "permission"):
		return kindAdminRole
	}
	switch status {
	case http.StatusUnauthorized:
		return kindInvalidKey
	case http.StatusForbidden:
		return kindAdminRole
	case http.StatusNotFound:
		return kindNotFound
	}
	switch {
	case strings.Contains(m, "not found") || strings.Contains(m, "can't access") || strings.Contains(m, "cannot access"):
		return kindNotFound
	case strings.Contains(m, "method not allowed"):
		return kindOther
	}
	return kindValidation
}

// classify adds what an error means (kindOf): an invalid key (naming the
// config key, never retried), the admin role, not found, or a validation
// error (as a *connectors.FieldError naming the field).
func (c *Client) classify(err error) error {
	var se *httpkit.StatusError
	if !errors.As(err, &se) {
		return err
	}
	switch kindOf(se.Status, se.Message) {
	case kindInvalidKey:
		return fmt.Errorf("%s: %w: %w; a Capgo API key cannot be renewed: create a new one in Capgo and set it there",
			c.keyName, ErrInvalidAPIKey, err)
	case kindAdminRole:
		return fmt.Errorf("%w: %w", ErrAdminRoleRequired, err)
	case kindNotFound:
		if se.Err == nil {
			se.Err = connectors.ErrNotFound
		}
	case kindValidation:
		var fe *connectors.FieldError
		if errors.As(se.Err, &fe) {
			if len(fe.Fields) == 0 {
				fe.Fields = fieldOf(fe.Message)
			}
			return err
		}
		status := se.Status
		if status < 400 {
			// A KO body answered 2xx: a bad request all the same.
			status = http.StatusBadRequest
		}
		se.Err = &connectors.FieldError{Status: status, Message: se.Message, Fields: fieldOf(se.Message)}
	}
	return err
}

// fieldOf names the field an error message is about ("Name is required"
// → name), for *connectors.FieldError.Fields; nil when it names none.
func fieldOf(msg string) map[string][]string {
	m := strings.ToLower(msg)
	for _, f := range []struct{ word, field string }{
		{"email", "management_email"},
		{"logo", "logo"},
		{"orgid", "orgId"},
		{"name", "name"},
	} {
		if strings.Contains(m, f.word) {
			return map[string][]string{f.field: {msg}}
		}
	}
	return nil
}

// koError reports a 2xx body in the error shape {"error":…,"status":"KO"}.
func koError(raw json.RawMessage) (string, bool) {
	var o rawObject
	if json.Unmarshal(raw, &o) != nil || !strings.EqualFold(o.str("status"), "KO") {
		return "", false
	}
	msg := o.str("error")
	if msg == "" {
		msg = "status KO"
	}
	return msg, true
}

// decodeList reads a list as {"data":[…]} or a bare array.
func decodeList(raw json.RawMessage) ([]Organization, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '{' {
		var o rawObject
		if err := json.Unmarshal(raw, &o); err != nil {
			return nil, fmt.Errorf("decode response: %w", err)
		}
		data, ok := o["data"]
		if !ok {
			return nil, errors.New(`the response is neither {"data":[…]} nor a list`)
		}
		raw = bytes.TrimSpace(data)
		if len(raw) == 0 || string(raw) == "null" {
			return nil, nil
		}
	}
	var orgs []Organization
	if err := json.Unmarshal(raw, &orgs); err != nil {
		return nil, fmt.Errorf("decode organizations: %w", err)
	}
	return orgs, nil
}

// decodeOne reads one organization as {"data":{…}} or a bare object.
func decodeOne(raw json.RawMessage) (Organization, error) {
	var o rawObject
	if err := json.Unmarshal(raw, &o); err != nil {
		return Organization{}, fmt.Errorf("decode organization: %w", err)
	}
	if data := bytes.TrimSpace(o["data"]); len(data) > 0 && data[0] == '{' {
		raw = data
	}
	var org Organization
	if err := json.Unmarshal(raw, &org); err != nil {
		return Organization{}, fmt.Errorf("decode organization: %w", err)
	}
	if org.ID == "" {
		return Organization{}, errors.New("decode organization: no id")
	}
	return org, nil
}

// rawObject reads fields whatever JSON type they come in (a number as its
// text, null as "").
type rawObject map[string]json.RawMessage

func (o rawObject) str(k string) string { return httpkit.Scalar(o[k]) }

// UnmarshalJSON reads an organization leniently (httpkit.UnmarshalLenient,
// by its tags).
func (g *Organization) UnmarshalJSON(b []byte) error {
	return httpkit.UnmarshalLenient(b, g)
}
