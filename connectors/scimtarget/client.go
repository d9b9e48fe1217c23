package scimtarget

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/hashicorp/go-retryablehttp"
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/internal/errkind"
	"github.com/orgbridge/orgbridge/internal/httpkit"
)

// mediaType is SCIM's (RFC 7644 §8.1); JSON is accepted back too.
const mediaType = "application/scim+json"

// client is the SCIM protocol over httpkit: JSON calls with the SCIM
// media type, If-Match, the ETag of each answer, SCIM error bodies, and
// the server's discovered features.
type client struct {
	api    httpkit.Endpoint
	logger *zap.Logger

	// discovering is held through a discovery, so that the Users and
	// Groups lists Read starts together ask for ServiceProviderConfig
	// once between them.
	discovering sync.Mutex
	mu          sync.Mutex
	features    *features // nil until discovered
	// schemasRead: /Schemas was read (or found missing); members is what
	// it says of a Group's members (membersReturned).
	schemasRead bool
	members     string
}

// features are what ServiceProviderConfig says, or the safe assumptions
// when the server serves none.
type features struct {
	// patch: PATCH is used; false after the server said it is not
	// supported (ServiceProviderConfig, or a 501/405/invalidSyntax to a
	// PATCH).
	patch bool
	// bulkMax is bulk.maxOperations when bulk is supported, else 0;
	// maxOps is bulk.maxOperations whatever bulk.supported says (a server
	// without bulk may still state its limit on operations there).
	bulkMax, maxOps int
	// filter: the server filters lists (so Find asks it).
	filter bool
	// maxResults is filter.maxResults, 0 unknown.
	maxResults int
	// etag: the server versions resources (etag.supported, or an ETag
	// header seen on an answer).
	etag bool
	// discovered: from the server's ServiceProviderConfig.
	discovered bool
}

// call is one SCIM request: body (nil: none) sent as SCIM JSON, with
// If-Match when ifMatch is set; out (nil: discarded) decoded from the 2xx
// answer. It returns the answer's ETag.
func (c *client) call(ctx context.Context, method, path string, query url.Values, ifMatch string, body, out any) (string, error) {
	resp, etag, err := c.send(ctx, method, path, query, ifMatch, body)
	if err != nil {
		return "", err
	}
	if out == nil {
		httpkit.Discard(resp)
		return etag, nil
	}
	return etag, httpkit.DecodeJSON(resp, out)
}

// write is a PATCH or PUT (as call, no answer decoded) that returns the
// version it left: the answer's ETag header (a 204 carries one where the
// server versions, RFC 7644 §3.14), else the meta.version of the
// resource a 200 returns, so that the next write to the resource needs
// no GET for it. An answer that is not a resource only gives none.
func (c *client) write(ctx context.Context, method, path, ifMatch string, body any) (string, error) {
	resp, etag, err := c.send(ctx, method, path, nil, ifMatch, body)
	if err != nil {
		return "", err
	}
	if etag != "" {
		httpkit.Discard(resp)
		return etag, nil
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, httpkit.MaxBody))
	var got struct {
		Meta any `json:"meta"`
	}
	if err != nil || json.Unmarshal(raw, &got) != nil {
		return "", nil
	}
	meta, _ := got.Meta.(map[string]any)
	_, v := lookup(meta, "version")
	return text(v), nil
}

// send makes one SCIM request and returns the answer and its ETag.
func (c *client) send(ctx context.Context, method, path string, query url.Values, ifMatch string, body any) (*http.Response, string, error) {
	api := c.api
	api.Auth = headers{inner: c.api.Auth, ifMatch: ifMatch, body: body != nil}
	resp, err := api.Send(ctx, method, path, query, body)
	if err != nil {
		return nil, "", scimError(err)
	}
	etag := resp.Header.Get("ETag")
	if etag != "" {
		c.sawETag()
	}
	return resp, etag, nil
}

// headers puts the SCIM headers on each attempt besides the credentials:
// the SCIM media type (httpkit sends application/json, which RFC 7644
// lets a server refuse) and If-Match.
type headers struct {
	inner   httpkit.Auth
	ifMatch string
	body    bool
}

func (h headers) Authorize(ctx context.Context, req *retryablehttp.Request) error {
	req.Header.Set("Accept", mediaType+", application/json")
	if h.body {
		req.Header.Set("Content-Type", mediaType)
	}
	if h.ifMatch != "" {
		req.Header.Set("If-Match", h.ifMatch)
	}
	return h.inner.Authorize(ctx, req)
}

func (h headers) Refused(req *retryablehttp.Request) bool { return h.inner.Refused(req) }

func (c *client) sawETag() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.features != nil {
		c.features.etag = true
	}
}

// discover reads ServiceProviderConfig once. A server without one (404,
// or an answer that is not one) gets the safe assumptions: PATCH tried
// (and given up on its first refusal), filters tried, no ETags until one
// is seen, no bulk.
func (c *client) discover(ctx context.Context) (features, error) {
	c.discovering.Lock()
	defer c.discovering.Unlock()
	c.mu.Lock()
	if c.features != nil {
		f := *c.features
		c.mu.Unlock()
		return f, nil
	}
	c.mu.Unlock()
	var doc struct {
		Patch struct{ Supported any } `json:"patch"`
		Bulk  struct {
			Supported     any `json:"supported"`
			MaxOperations any `json:"maxOperations"`
		} `json:"bulk"`
		Filter struct {
			Supported  any `json:"supported"`
			MaxResults any `json:"maxResults"`
		} `json:"filter"`
		ETag struct{ Supported any } `json:"etag"`
	}
	f := features{patch: true, filter: true}
	_, err := c.call(ctx, http.MethodGet, "/ServiceProviderConfig", nil, "", nil, &doc)
	switch {
	case errors.Is(err, errkind.ErrNotFound):
		c.logger.Info("the server serves no ServiceProviderConfig: assuming PATCH and filters, no ETags, no bulk")
	case err != nil:
		return f, fmt.Errorf("read ServiceProviderConfig: %w", err)
	default:
		f.discovered = true
		f.patch = truth(doc.Patch.Supported, true)
		f.filter = truth(doc.Filter.Supported, true)
		f.etag = truth(doc.ETag.Supported, false)
		f.maxOps = number(doc.Bulk.MaxOperations)
		if truth(doc.Bulk.Supported, false) {
			f.bulkMax = f.maxOps
		}
		f.maxResults = number(doc.Filter.MaxResults)
		c.logger.Debug("discovered the server's features", zap.Bool("patch", f.patch), zap.Bool("filter", f.filter),
			zap.Bool("etag", f.etag), zap.Int("bulk_max_operations", f.bulkMax), zap.Int("max_results", f.maxResults))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.features == nil {
		c.features = &f
	}
	return *c.features, nil
}

// noPatch records that the server refuses PATCH; it reports whether it
// knew before (so the switch is logged once).
func (c *client) noPatch() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.features == nil {
		c.features = &features{filter: true}
	}
	was := !c.features.patch
	c.features.patch = false
	return was
}

// truth reads a boolean leniently (true, "true", "True"); def when absent.
func truth(v any, def bool) bool {
	switch t := v.(type) {
	case bool:
		return t
	case string:
		b, err := strconv.ParseBool(strings.ToLower(t))
		if err == nil {
			return b
		}
	}
	return def
}

// number reads a count leniently (12, "12"); 0 when absent or not one.
func number(v any) int {
	switch t := v.(type) {
	case float64:
		return int(t)
	case string:
		n, _ := strconv.Atoi(t)
		return n
	}
	return 0
}

// ---- errors ----

// scimErrors rewrites a SCIM error body ({"schemas":[…Error], "status",
// "scimType", "detail"}) so that httpkit's message carries the scimType
// before the detail ("invalidValue: …"): httpkit reads "detail" alone.
type scimErrors struct{ next http.RoundTripper }

func (t scimErrors) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.StatusCode < 400 {
		return resp, err
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, httpkit.MaxErrorBody))
	resp.Body.Close()
	if rerr == nil {
		var e struct {
			ScimType string `json:"scimType"`
			Detail   string `json:"detail"`
		}
		if json.Unmarshal(body, &e) == nil && e.ScimType != "" {
			msg := e.ScimType
			if e.Detail != "" {
				msg += ": " + e.Detail
			}
			body, _ = json.Marshal(map[string]string{"message": msg})
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// scimType is the SCIM error type a refusal named ("invalidSyntax"), or "".
func scimType(err error) string {
	var se *httpkit.StatusError
	if !errors.As(err, &se) {
		return ""
	}
	t, _, _ := strings.Cut(se.Message, ":")
	for _, known := range []string{"invalidFilter", "tooMany", "uniqueness", "mutability", "invalidSyntax", "invalidPath", "noTarget", "invalidValue", "invalidVers", "sensitive"} {
		if t == known {
			return t
		}
	}
	return ""
}

// status is the HTTP status of a refusal, 0 for none.
func status(err error) int {
	var se *httpkit.StatusError
	if errors.As(err, &se) {
		return se.Status
	}
	return 0
}

// badRequest is a 400: a validation error (errkind.FieldError) as well as
// the status error, so the executor reports it with its attribute and
// does not retry it.
type badRequest struct {
	se *httpkit.StatusError
	fe *errkind.FieldError
}

func (e *badRequest) Error() string   { return e.se.Error() }
func (e *badRequest) Unwrap() []error { return []error{e.se, e.fe} }

// scimError makes a 400 a field error naming the attribute its detail
// names, when it names one the target knows.
func scimError(err error) error {
	var se *httpkit.StatusError
	if !errors.As(err, &se) || se.Status != http.StatusBadRequest {
		return err
	}
	var fe *errkind.FieldError
	if errors.As(err, &fe) {
		return err
	}
	fe = &errkind.FieldError{Status: se.Status, Message: se.Message}
	if a := namedAttribute(se.Message); a != "" {
		fe.Fields = map[string][]string{a: {se.Message}}
	}
	return &badRequest{se: se, fe: fe}
}

// namedAttribute is the first attribute of the core User and Group
// schemas or the enterprise extension a message names, or "".
func namedAttribute(msg string) string {
	words := strings.FieldsFunc(msg, func(r rune) bool {
		return !(r == '.' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	})
	for _, w := range words {
		head, _, _ := strings.Cut(w, ".")
		if head == "" {
			continue
		}
		l := strings.ToLower(head)
		if a, ok := coreAttrs[l]; ok {
			return a.name
		}
		if a, ok := enterpriseAttrs[l]; ok {
			return a.name
		}
		if l == "members" || l == "displayname" {
			return head
		}
	}
	return ""
}
