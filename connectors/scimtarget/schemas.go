package scimtarget

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors"
)

// The values of an attribute's "returned" (RFC 7643 §7) that tell whether
// a Group's members come in a list without asking for them.
const (
	returnedRequest = "request"
	// returnedUnknown: the server serves no /Schemas, or its Group schema
	// does not describe members.
	returnedUnknown = ""
)

// membersReturned is the "returned" of the core Group's members as the
// server's /Schemas describe it ("default", "always", "request",
// "never"), read once; returnedUnknown when the server serves none or
// does not say. A transient failure is not remembered, so a later Read
// asks again.
func (c *client) membersReturned(ctx context.Context) string {
	c.mu.Lock()
	if c.schemasRead {
		r := c.members
		c.mu.Unlock()
		return r
	}
	c.mu.Unlock()
	var raw json.RawMessage
	_, err := c.call(ctx, http.MethodGet, "/Schemas", nil, "", nil, &raw)
	returned := returnedUnknown
	switch {
	case err != nil && (connectors.IsTransient(err) || ctx.Err() != nil):
		c.logger.Debug("could not read /Schemas: members are asked for when no Group carries any", zap.Error(err))
		return returnedUnknown
	case err != nil:
		c.logger.Debug("the server serves no /Schemas: members are asked for when no Group carries any", zap.Error(err))
	default:
		returned = groupMembersReturned(raw)
		c.logger.Debug("read the Group schema", zap.String("members_returned", returned))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.schemasRead, c.members = true, returned
	return returned
}

// groupMembersReturned finds the core Group schema in a /Schemas answer
// (a ListResponse, RFC 7644 §4, or a bare array, as some servers send)
// and returns its members' "returned", lower case; returnedUnknown when
// it is not there.
func groupMembersReturned(raw json.RawMessage) string {
	type attribute struct {
		Name     string `json:"name"`
		Returned string `json:"returned"`
	}
	type schemaDoc struct {
		ID         string      `json:"id"`
		Attributes []attribute `json:"attributes"`
	}
	var list struct {
		Resources []schemaDoc `json:"Resources"`
	}
	if json.Unmarshal(raw, &list) != nil || len(list.Resources) == 0 {
		if json.Unmarshal(raw, &list.Resources) != nil {
			return returnedUnknown
		}
	}
	for _, s := range list.Resources {
		if !strings.EqualFold(s.ID, groupURN) {
			continue
		}
		for _, a := range s.Attributes {
			if strings.EqualFold(a.Name, "members") {
				return strings.ToLower(a.Returned)
			}
		}
	}
	return returnedUnknown
}

// membersOnRequest: a Group that carries no members may have some that
// the server returns only when asked (its schema says members are
// returned "request", or it does not say).
func (a *Adapter) membersOnRequest(ctx context.Context) bool {
	switch a.client.membersReturned(ctx) {
	case returnedRequest, returnedUnknown:
		return true
	}
	return false
}
