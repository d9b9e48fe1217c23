package emulator

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

// nameRE is the document's rule for name: 英数字、ハイフン、アンダースコア.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// notFound answers a path naming an organization that does not exist: 404,
// or 403 under forbidden-unknown (a tenant that does not reveal which ids
// exist outside the token's reach).
func (c *call) notFound() response {
	if c.s.readings.Has(ReadingForbiddenUnknown) {
		return errorResp(http.StatusForbidden, "organization "+c.id+" is not accessible")
	}
	return errorResp(http.StatusNotFound, "organization "+c.id+" not found")
}

// GET /api/admin/organizations
func (c *call) listOrgs() response {
	s := c.s
	var b errorBag
	limit := c.limit(&b)
	after := c.cursor(&b, "id")
	descendants := c.flag(&b, "include_children")
	if !b.Empty() {
		return b.fail(http.StatusBadRequest)
	}
	search := strings.ToLower(c.q("search"))
	parent := c.q("parent_id")
	nested := s.readings.Has(ReadingChildrenNested)
	// Which organizations the list holds without parent_id depends on the
	// reading of include_children (see Readings).
	topOnly := parent == "" && (nested || s.readings.Has(ReadingRootsOnly) ||
		(!descendants && s.readings.Has(ReadingTopLevelOnly)))
	var keys []string
	for id, o := range s.orgs {
		switch {
		case topOnly:
			if o.ParentID != "" {
				continue
			}
		case parent == "":
		case descendants && !nested:
			if id == parent || !s.isUnder(id, parent) {
				continue
			}
		case o.ParentID != parent:
			continue
		}
		if search != "" && !strings.Contains(strings.ToLower(o.Name), search) && !strings.Contains(strings.ToLower(o.DisplayName), search) {
			continue
		}
		keys = append(keys, id)
	}
	slices.Sort(keys)
	if nested && descendants {
		return c.page(keys, "id", after, limit, func(id string) any { return s.treeItem(s.orgs[id]) })
	}
	return c.page(keys, "id", after, limit, func(id string) any { return s.item(s.orgs[id]) })
}

// GET /api/admin/organizations/{id}
func (c *call) getOrg() response {
	o := c.s.orgs[c.id]
	if o == nil {
		return c.notFound()
	}
	return emukit.JSON(http.StatusOK, c.s.detail(o))
}

// readName checks name: required on create; when sent, a non-empty string
// of letters, digits, '-' and '_' (null on update: see nullSent).
func (s *Server) readName(b *errorBag, in input, required bool) (string, bool) {
	v, ok := s.readRequired(b, in, "name", required)
	switch {
	case !ok:
	case v == "":
		b.Add("name", "name is required")
	case !nameRE.MatchString(v):
		b.Add("name", "name may contain only letters (A-Z, a-z), digits, '-' and '_'")
	default:
		return v, true
	}
	return "", false
}

// readRequired reads key, a string required on create (required) that,
// sent on update, may not be null (null-ignored reads null as not sent):
// it returns the string and true, or false when there is none to check
// further (an error recorded when one is missing or not a string).
func (s *Server) readRequired(b *errorBag, in input, key string, required bool) (string, bool) {
	f := in.get(key)
	if !required && (!f.present || (f.null && s.readings.Has(ReadingNullIgnored))) {
		return "", false
	}
	if !f.present || f.null {
		b.Add(key, key+" is required")
		return "", false
	}
	return in.str(b, key)
}

// readDisplayName checks display_name: required on create; when sent, a
// string that is not blank (null on update: see nullSent).
func (s *Server) readDisplayName(b *errorBag, in input, required bool) (string, bool) {
	v, ok := s.readRequired(b, in, "display_name", required)
	if ok && strings.TrimSpace(v) == "" {
		b.Add("display_name", "display_name is required")
		return "", false
	}
	return v, ok
}

// nullSent reads a field sent as JSON null, by the reading of null: by
// default null clears it (reported as set); under null-ignored it is as if
// the field were not sent; under null-refused it is an error on the field
// (its type is a string or an object, and null is neither).
func (s *Server) nullSent(b *errorBag, key, want string) bool {
	switch {
	case s.readings.Has(ReadingNullIgnored):
		return false
	case s.readings.Has(ReadingNullRefused):
		b.Add(key, key+" must be "+want+", not null")
		return false
	}
	return true
}

// absentOrNull answers for an optional field that null clears (key, of
// type want) when it is absent (done, not to be set) or null (done, set to
// none as nullSent says); otherwise (not done) its value is to be read.
func (s *Server) absentOrNull(b *errorBag, in input, key, want string) (set, done bool) {
	f := in.get(key)
	switch {
	case !f.present:
		return false, true
	case f.null:
		return s.nullSent(b, key, want), true
	}
	return false, false
}

// emptyIsNone: under null-ignored and null-refused, "" is how a client
// says "none" (null cannot), so parent_id "" is the top level. By default
// "" names no organization.
func (s *Server) emptyIsNone() bool {
	return s.readings.Has(ReadingNullIgnored) || s.readings.Has(ReadingNullRefused)
}

// readDescription reads description: a string ("" is none) or null (see
// nullSent). It reports whether the field is to be set.
func (s *Server) readDescription(b *errorBag, in input) (string, bool) {
	if set, done := s.absentOrNull(b, in, "description", "a string"); done {
		return "", set
	}
	return in.str(b, "description")
}

// readParent checks parent_id: an existing organization, and on update
// neither the organization itself nor one below it; null (see nullSent)
// or, where null cannot say it, "" is the top level.
func (s *Server) readParent(b *errorBag, in input, self string) (string, bool) {
	if set, done := s.absentOrNull(b, in, "parent_id", "an organization id"); done {
		return "", set
	}
	parent, ok := in.str(b, "parent_id")
	switch {
	case !ok:
		return "", false
	case parent == "" && s.emptyIsNone():
		return "", true
	case s.orgs[parent] == nil:
		b.Add("parent_id", "parent_id names no organization")
		return "", false
	case self != "" && s.isUnder(parent, self):
		b.Add("parent_id", "parent_id must not be the organization itself or one below it")
		return "", false
	}
	return parent, true
}

// readMetadata reads metadata: an object, or null for none (see
// nullSent).
func (s *Server) readMetadata(b *errorBag, in input) (map[string]any, bool) {
	if set, done := s.absentOrNull(b, in, "metadata", "an object"); done {
		return nil, set
	}
	return in.object(b, "metadata")
}

func nameConflict(name, other string) response {
	return errorResp(http.StatusConflict, "name "+strconv.Quote(name)+" is already used by organization "+other)
}

// POST /api/admin/organizations
func (c *call) createOrg() response {
	s := c.s
	var b errorBag
	name, _ := s.readName(&b, c.in, true)
	display, _ := s.readDisplayName(&b, c.in, true)
	desc, _ := s.readDescription(&b, c.in)
	parent, _ := s.readParent(&b, c.in, "")
	meta, _ := s.readMetadata(&b, c.in)
	if !b.Empty() {
		return b.fail(http.StatusUnprocessableEntity)
	}
	if other := s.nameTaken(name, ""); other != "" {
		return nameConflict(name, other)
	}
	o := &Org{ID: s.newOrgID(), Name: name, DisplayName: display, Description: desc, ParentID: parent,
		Metadata: meta, CreatedAt: c.now, UpdatedAt: c.now}
	s.orgs[o.ID] = o
	resp := emukit.JSON(http.StatusCreated, created{orgHead: head(o), CreatedAt: o.CreatedAt})
	resp.Header = http.Header{"Location": {prefix + "/" + o.ID}}
	return resp
}

// PUT /api/admin/organizations/{id}: the fields sent replace theirs; the
// others are left as they are (put-replaces: description, parent_id and
// metadata not sent are cleared; null-ignored: null is not sent;
// null-refused: null is an error; name-immutable: another name is an
// error). metadata replaces the stored object
// whole (metadata-merged: its keys are merged in). 200 with the detail
// (put-no-content: 204).
func (c *call) updateOrg() response {
	s := c.s
	o := s.orgs[c.id]
	if o == nil {
		return c.notFound()
	}
	var b errorBag
	name, setName := s.readName(&b, c.in, false)
	display, setDisplay := s.readDisplayName(&b, c.in, false)
	desc, setDesc := s.readDescription(&b, c.in)
	parent, setParent := s.readParent(&b, c.in, o.ID)
	meta, setMeta := s.readMetadata(&b, c.in)
	if setName && name != o.Name && s.readings.Has(ReadingNameImmutable) {
		b.Add("name", "name cannot be changed (it is "+strconv.Quote(o.Name)+")")
	}
	if !b.Empty() {
		return b.fail(http.StatusUnprocessableEntity)
	}
	if setName {
		if other := s.nameTaken(name, o.ID); other != "" {
			return nameConflict(name, other)
		}
		o.Name = name
	}
	if setDisplay {
		o.DisplayName = display
	}
	if s.readings.Has(ReadingPutReplaces) {
		// What is not sent is replaced by nothing; setX is "sent".
		setDesc, setParent, setMeta = true, true, true
	}
	if setDesc {
		o.Description = desc
	}
	if setParent {
		o.ParentID = parent
	}
	switch {
	case setMeta && meta != nil && s.readings.Has(ReadingMetadataMerged):
		merged := cloneMetadata(o.Metadata)
		if merged == nil {
			merged = map[string]any{}
		}
		for k, v := range meta {
			if v == nil {
				delete(merged, k)
			} else {
				merged[k] = v
			}
		}
		o.Metadata = merged
	case setMeta:
		o.Metadata = meta
	}
	o.UpdatedAt = c.now
	if s.readings.Has(ReadingPutNoContent) {
		return response{Status: http.StatusNoContent}
	}
	return emukit.JSON(http.StatusOK, s.detail(o))
}

// DELETE /api/admin/organizations/{id}: 204. An organization with child
// organizations is not deleted (409); delete-cascades deletes them too,
// delete-orphans moves them to the top level. Its memberships go with it
// (delete-needs-empty: while it has members, 409).
func (c *call) deleteOrg() response {
	s := c.s
	if s.orgs[c.id] == nil {
		return c.notFound()
	}
	gone := []string{c.id}
	kids := s.children(c.id)
	switch {
	case len(kids) == 0:
	case s.readings.Has(ReadingDeleteCascades):
		for id := range s.orgs {
			if id != c.id && s.isUnder(id, c.id) {
				gone = append(gone, id)
			}
		}
	case s.readings.Has(ReadingDeleteOrphans):
	default:
		return errorResp(http.StatusConflict, "organization "+c.id+" has child organizations ("+strings.Join(kids, ", ")+"): delete or move them first")
	}
	if s.readings.Has(ReadingDeleteNeedsEmpty) {
		n := 0
		for _, id := range gone {
			n += len(s.members[id])
		}
		if n > 0 {
			return errorResp(http.StatusConflict, "organization "+c.id+" still has "+strconv.Itoa(n)+" members: remove them first")
		}
	}
	if s.readings.Has(ReadingDeleteOrphans) {
		for _, id := range kids {
			s.orgs[id].ParentID = ""
		}
	}
	for _, id := range gone {
		delete(s.orgs, id)
		delete(s.members, id)
	}
	return response{Status: http.StatusNoContent}
}

// GET /api/admin/organizations/{id}/hierarchy?depth=N: the organization and
// N levels below it (all when depth is absent; 0 is the organization alone).
func (c *call) hierarchy() response {
	s := c.s
	o := s.orgs[c.id]
	if o == nil {
		return c.notFound()
	}
	depth := -1
	if v := c.q("depth"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			var b errorBag
			b.Add("depth", "depth must be an integer of 0 or more")
			return b.fail(http.StatusBadRequest)
		}
		depth = n
	}
	kids := map[string][]string{}
	for id, o := range s.orgs {
		kids[o.ParentID] = append(kids[o.ParentID], id)
	}
	var build func(o *Org, depth int) node
	build = func(o *Org, depth int) node {
		n := node{ID: o.ID, Name: o.Name, DisplayName: o.DisplayName, MemberCount: s.memberCount(o.ID), Children: []node{}}
		if depth == 0 {
			return n
		}
		slices.Sort(kids[o.ID])
		for _, id := range kids[o.ID] {
			n.Children = append(n.Children, build(s.orgs[id], depth-1))
		}
		return n
	}
	return emukit.JSON(http.StatusOK, build(o, depth))
}
