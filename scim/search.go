package scim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	scimerrors "github.com/elimity-com/scim/errors"
)

// searchURN is the schema of a search request body (RFC 7644 §3.4.3).
const searchURN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"

// listURN is the schema of a list response.
const listURN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"

// searchRequest is the body of POST /.search (RFC 7644 §3.4.3).
type searchRequest struct {
	Schemas            []string   `json:"schemas"`
	Attributes         stringList `json:"attributes"`
	ExcludedAttributes stringList `json:"excludedAttributes"`
	Filter             string     `json:"filter"`
	SortBy             string     `json:"sortBy"`
	SortOrder          string     `json:"sortOrder"`
	StartIndex         *int       `json:"startIndex"`
	Count              *int       `json:"count"`
}

// stringList is a list of attribute names: an array, as RFC 7644 §3.4.3
// has it, or one comma-separated string, as in a query (some clients send
// that).
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*l = splitAttrList(one)
		return nil
	}
	return json.Unmarshal(b, (*[]string)(l))
}

// query is the search as the query parameters of a GET of a collection
// (RFC 7644 §3.4.2), which it means the same as.
func (q searchRequest) query() url.Values {
	v := url.Values{}
	if q.Filter != "" {
		v.Set("filter", normalizeFilter(q.Filter))
	}
	if len(q.Attributes) > 0 {
		v.Set("attributes", strings.Join(q.Attributes, ","))
	}
	if len(q.ExcludedAttributes) > 0 {
		v.Set("excludedAttributes", strings.Join(q.ExcludedAttributes, ","))
	}
	if q.SortBy != "" {
		v.Set("sortBy", q.SortBy)
	}
	if q.SortOrder != "" {
		v.Set("sortOrder", q.SortOrder)
	}
	if q.StartIndex != nil {
		v.Set("startIndex", strconv.Itoa(*q.StartIndex))
	}
	if q.Count != nil {
		v.Set("count", strconv.Itoa(*q.Count))
	}
	return v
}

// search serves POST /.search, /Users/.search and /Groups/.search: the body
// is turned into the query of a GET of the collection, so filters, paging
// and attributes behave exactly as there. The root search runs over every
// resource type whose schemas the filter fits (a filter on userName leaves
// Groups out) and pages the merged list; a filter no type accepts is the
// invalidFilter error of the first.
func (s *Server) search(w *recorder, r *http.Request, endpoint string, body []byte) {
	var req searchRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, scimerrors.ScimError{ScimType: scimerrors.ScimTypeInvalidSyntax, Status: http.StatusBadRequest,
			Detail: "the body is not a SearchRequest: " + err.Error()})
		return
	}
	if !slices.ContainsFunc(req.Schemas, func(s string) bool { return strings.EqualFold(s, searchURN) }) {
		writeError(w, scimerrors.ScimError{ScimType: scimerrors.ScimTypeInvalidSyntax, Status: http.StatusBadRequest,
			Detail: "schemas must list " + searchURN})
		return
	}
	if endpoint != "" {
		s.list(w, getRequest(r, endpoint, req.query()))
		return
	}
	s.searchAll(w, r, req)
}

// getRequest is r as a GET of a collection with the query q.
func getRequest(r *http.Request, endpoint string, q url.Values) *http.Request {
	r2 := r.Clone(r.Context())
	r2.Method = http.MethodGet
	r2.URL.Path = "/v2" + endpoint
	r2.URL.RawPath = ""
	r2.URL.RawQuery = q.Encode()
	r2.Body = http.NoBody
	r2.ContentLength = 0
	return r2
}

// searchAll is the root search: every page of Users and Groups that match,
// merged and paged as asked.
func (s *Server) searchAll(w *recorder, r *http.Request, req searchRequest) {
	var all []json.RawMessage
	var rejected *bufferedResponse
	accepted := false
	for _, endpoint := range []string{"/Users", "/Groups"} {
		for start := 1; ; {
			q := req.query()
			q.Set("startIndex", strconv.Itoa(start))
			q.Set("count", strconv.Itoa(s.maxPage))
			r2 := getRequest(r, endpoint, q)
			buf := &bufferedResponse{header: http.Header{}, status: http.StatusOK}
			s.lib.ServeHTTP(buf, r2)
			if buf.status != http.StatusOK {
				var e struct {
					ScimType string `json:"scimType"`
				}
				if buf.status == http.StatusBadRequest && json.Unmarshal(buf.body.Bytes(), &e) == nil &&
					e.ScimType == string(scimerrors.ScimTypeInvalidFilter) {
					if rejected == nil {
						rejected = buf
					}
					break
				}
				for k, v := range buf.header {
					w.Header()[k] = v
				}
				buf.send(w, buf.body.Bytes())
				return
			}
			accepted = true
			var page struct {
				TotalResults int               `json:"totalResults"`
				Resources    []json.RawMessage `json:"Resources"`
			}
			if err := json.Unmarshal(buf.body.Bytes(), &page); err != nil {
				writeError(w, scimerrors.ScimError{Status: http.StatusInternalServerError, Detail: "reading a page: " + err.Error()})
				return
			}
			for _, res := range page.Resources {
				res, _ = absoluteLocations(r2, res)
				all = append(all, res)
			}
			start += len(page.Resources)
			if len(page.Resources) == 0 || start > page.TotalResults {
				break
			}
		}
	}
	if !accepted && rejected != nil {
		for k, v := range rejected.header {
			w.Header()[k] = v
		}
		rejected.send(w, rejected.body.Bytes())
		return
	}
	start, count := 1, s.maxPage
	if req.StartIndex != nil && *req.StartIndex > 1 {
		start = *req.StartIndex
	}
	if req.Count != nil {
		count = min(max(*req.Count, 0), s.maxPage)
	}
	page := []json.RawMessage{}
	if start-1 < len(all) {
		page = all[start-1 : min(start-1+count, len(all))]
	}
	out, err := json.Marshal(map[string]any{
		"schemas":      []string{listURN},
		"totalResults": len(all),
		"itemsPerPage": len(page),
		"startIndex":   start,
		"Resources":    page,
	})
	if err != nil {
		writeError(w, scimerrors.ScimError{Status: http.StatusInternalServerError, Detail: err.Error()})
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}
