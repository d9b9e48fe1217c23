package scimtarget_test

import (
	"net/http/httptest"
	"testing"

	"github.com/orgbridge/orgbridge/connectors/scimtarget/stricttest"
	"github.com/orgbridge/orgbridge/connectors/targettest"
)

// strictReadings are the readings of RFC 7643/7644 the strict server
// serves (stricttest.Options), by name; "all" is every one that can go
// together.
var strictReadings = map[string]stricttest.Options{
	"default":              {},
	"patch-unsupported":    {PatchUnsupported: true},
	"max-operations":       {MaxOperations: 2},
	"max-operations-400":   {MaxOperations: 2, MaxOperationsStatus: 400},
	"etags":                {ETags: true},
	"require-if-match":     {ETags: true, RequireIfMatch: true},
	"page-cap":             {PageCap: 1},
	"filter-required":      {FilterRequired: true},
	"rate-limit":           {RateLimit: 7},
	"members-not-returned": {MembersNotReturned: true},
	"fold-username":        {FoldUserName: true},
	"all": {PatchUnsupported: true, MaxOperations: 2, ETags: true, RequireIfMatch: true, PageCap: 1,
		FilterRequired: true, RateLimit: 7, MembersNotReturned: true, FoldUserName: true},
	"all-patch": {MaxOperations: 2, MaxOperationsStatus: 400, ETags: true, RequireIfMatch: true, PageCap: 1,
		FilterRequired: true, RateLimit: 7, MembersNotReturned: true, FoldUserName: true},
}

// TestConformanceStrict runs the target conformance suite against the
// strict SCIM server (stricttest), written from the RFCs independently of
// the adapter, under each of its readings.
func TestConformanceStrict(t *testing.T) {
	var combos [][]string
	for _, name := range []string{"default", "patch-unsupported", "max-operations", "max-operations-400", "etags",
		"require-if-match", "page-cap", "filter-required", "rate-limit", "members-not-returned", "fold-username", "all", "all-patch"} {
		combos = append(combos, []string{name})
	}
	targettest.RunReadings(t, combos, func(t *testing.T, opts targettest.Options) *targettest.Harness {
		o, ok := strictReadings[opts.Readings[0]]
		if !ok {
			t.Fatalf("no reading %q", opts.Readings[0])
		}
		o.Token = endpointToken
		srv := stricttest.New(t, o)
		front := newFront(srv)
		ts := httptest.NewServer(front)
		t.Cleanup(ts.Close)
		return newHarness(t, ts.URL+"/scim/v2", opts, front)
	})
}
