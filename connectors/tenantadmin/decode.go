package tenantadmin

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/orgbridge/orgbridge/internal/httpkit"
)

// Lenient decoding: the document shows few shapes, so every field is read
// whatever JSON type it comes in (a number as a string, null as empty) and
// under the spellings another server might use (parentId, role, data).

type rawObject map[string]json.RawMessage

// str returns the first of keys that holds a non-empty scalar, as text.
func (o rawObject) str(keys ...string) string { return httpkit.FirstScalar(o, keys...) }

// integer reads a number (or a numeric string) of the first key present.
func (o rawObject) integer(keys ...string) (int64, bool) {
	s := o.str(keys...)
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return int64(f), true
}

// flag reads a boolean (true/false, 1/0, as JSON or text).
func (o rawObject) flag(key string) (bool, bool) {
	switch strings.ToLower(o.str(key)) {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	return false, false
}

// object returns the object under key, or nil.
func (o rawObject) object(keys ...string) rawObject {
	for _, k := range keys {
		var obj rawObject
		if json.Unmarshal(o[k], &obj) == nil && obj != nil {
			return obj
		}
	}
	return nil
}

// objects returns the array of objects under the first key holding one.
func (o rawObject) objects(keys ...string) []rawObject {
	for _, k := range keys {
		var list []rawObject
		if len(o[k]) > 0 && json.Unmarshal(o[k], &list) == nil && list != nil {
			return list
		}
	}
	return nil
}

func decodeOrg(o rawObject) Org {
	org := Org{
		ID:          o.str("id", "organization_id"),
		Name:        o.str("name"),
		DisplayName: o.str("display_name", "displayName"),
		Description: o.str("description"),
		ParentID:    o.str("parent_id", "parentId"),
		MemberCount: -1,
	}
	if org.ParentID == "" {
		org.ParentID = o.object("parent").str("id")
	}
	org.hasParent = o["parent_id"] != nil || o["parentId"] != nil || o["parent"] != nil
	org.hasDescription = o["description"] != nil
	if n, ok := o.integer("member_count", "memberCount"); ok {
		org.MemberCount = int(n)
	}
	var meta map[string]any
	if json.Unmarshal(o["metadata"], &meta) == nil && meta != nil {
		org.Metadata = meta
	}
	org.CreatedAt, _ = o.integer("created_at", "createdAt")
	org.UpdatedAt, _ = o.integer("updated_at", "updatedAt")
	return org
}

// decodeOrgTree decodes a list item and every item nested under its
// "children" (depth first), each child's parent the item it is nested in
// when it names none. A child without member_count is a reference (as the
// detail's children are) and comes back as a Stub.
func decodeOrgTree(o rawObject, parent string, out []Org) []Org {
	org := decodeOrg(o)
	if org.ParentID == "" {
		org.ParentID = parent
	}
	if parent != "" && o["member_count"] == nil && o["memberCount"] == nil {
		org.Stub = true
	}
	out = append(out, org)
	for _, child := range o.objects("children") {
		out = decodeOrgTree(child, org.ID, out)
	}
	return out
}

func decodeMember(o rawObject) Member {
	m := Member{
		UserID: o.str("user_id", "userId", "id"),
		Email:  o.str("email", "mail"),
		Name:   o.str("name", "display_name"),
		Role:   o.str("organization_role", "role"),
	}
	m.JoinedAt, _ = o.integer("joined_at", "joinedAt")
	return m
}

func decodeNode(o rawObject) Node {
	n := Node{ID: o.str("id"), Name: o.str("name"), DisplayName: o.str("display_name", "displayName"), MemberCount: -1}
	if c, ok := o.integer("member_count", "memberCount"); ok {
		n.MemberCount = int(c)
	}
	for _, child := range o.objects("children") {
		n.Children = append(n.Children, decodeNode(child))
	}
	return n
}
