package scimtarget

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/orgbridge/orgbridge/mapping"
)

// listPage is one page of a list (RFC 7644 §3.4.2); Go's JSON decoding
// matches "Resources" in any casing.
type listPage struct {
	TotalResults any        `json:"totalResults"`
	Resources    []resource `json:"Resources"`
}

// list reads every resource of a collection (filter "" for all), page by
// page with startIndex and count: it follows totalResults when the server
// sends it, stops at an empty page, and takes what a page holds whatever
// count asked (a server may cap it, or ignore it). A server that answers
// a later startIndex with resources already read does not page: the list
// ends there, and when totalResults says more were due it fails rather
// than return part of the collection as if it were all.
//
// A server that refuses a list without a filter (400 tooMany, RFC 7644
// §3.4.2) is asked again with one every resource meets (userName pr,
// displayName pr). attrs, when given, is the attributes parameter.
func (a *Adapter) list(ctx context.Context, path, filter string, attrs ...string) ([]resource, error) {
	rs, _, err := a.listAll(ctx, path, filter, attrs...)
	return rs, err
}

// listAll is list, and whether what it returns is the whole collection
// as far as the server says: no filter asked or put in, and as many
// resources as its totalResults (which RFC 7644 §3.4.2 requires; a list
// without one is not taken for whole).
func (a *Adapter) listAll(ctx context.Context, path, filter string, attrs ...string) (out []resource, complete bool, err error) {
	f, err := a.client.discover(ctx)
	if err != nil {
		return nil, false, err
	}
	whole := filter == ""
	total, known := 0, false
	defer func() { complete = err == nil && whole && known && len(out) >= total }()
	count := a.pageSize
	if f.maxResults > 0 && f.maxResults < count {
		count = f.maxResults
	}
	seen := map[string]bool{}
	for start := 1; ; {
		q := url.Values{"startIndex": {strconv.Itoa(start)}, "count": {strconv.Itoa(count)}}
		if filter != "" {
			q.Set("filter", filter)
		}
		if len(attrs) > 0 {
			q.Set("attributes", strings.Join(attrs, ","))
		}
		var page listPage
		if _, err := a.client.call(ctx, http.MethodGet, path, q, "", nil, &page); err != nil {
			if filter == "" && start == 1 && scimType(err) == "tooMany" {
				filter, whole = matchAll[path], false
				a.logger.Debug("the server lists only with a filter: asking with one every resource meets", zap.String("filter", filter))
				continue
			}
			return nil, false, fmt.Errorf("list %s from %d: %w", path, start, err)
		}
		total, known = number(page.TotalResults), page.TotalResults != nil
		if len(page.Resources) == 0 {
			return out, false, nil
		}
		fresh := 0
		for _, r := range page.Resources {
			id := text(r["id"])
			if id == "" || seen[id] {
				continue
			}
			seen[id] = true
			out = append(out, r)
			fresh++
		}
		if fresh == 0 {
			if total > len(out) {
				return nil, false, fmt.Errorf("list %s: the server answered startIndex=%d with resources read already, and says %d exist where %d were read: it does not page", path, start, total, len(out))
			}
			return out, false, nil
		}
		start += len(page.Resources)
		switch {
		case total > 0 && start > total:
			return out, false, nil
		case total == 0 && len(page.Resources) < count:
			return out, false, nil
		}
	}
}

// matchAll is a filter every resource of a collection meets: its
// required attribute is present.
var matchAll = map[string]string{usersPath: "userName pr", groupsPath: "displayName pr"}

// Read lists Users and Groups and returns them keyed by their SCIM ids.
// A Group whose externalId starts with OrgPrefix is an org (orgs_as
// groups); its members are org members, the others' group members, role
// member; members that are not Users Read listed (nested Groups, users
// out of sight) are left out.
//
// What it listed is kept by natural key for the lookups before this run's
// creates (listed.go); a Read that fails leaves none.
func (a *Adapter) Read(ctx context.Context) (*mapping.Snapshot, error) {
	a.setListed(nil)
	var users, groups []resource
	var usersWhole, groupsWhole bool
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { users, usersWhole, err = a.listAll(gctx, usersPath, ""); return })
	g.Go(func() (err error) { groups, groupsWhole, err = a.listAll(gctx, groupsPath, ""); return })
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("scim: read: %w", err)
	}
	if err := a.askMembers(ctx, groups); err != nil {
		return nil, fmt.Errorf("scim: read: %w", err)
	}
	snap := &mapping.Snapshot{}
	known := map[string]bool{}
	for _, r := range users {
		u := a.user(r)
		known[u.Key] = true
		snap.Users = append(snap.Users, u)
		a.noteVersion(usersPath+"/"+u.Key, metaVersion(r))
	}
	for _, r := range groups {
		id := text(r["id"])
		a.noteVersion(groupsPath+"/"+id, metaVersion(r))
		kind, name, code := a.group(r)
		if kind == mapping.KindOrg {
			snap.Orgs = append(snap.Orgs, mapping.Org{Key: id, Name: name, Code: code})
		} else {
			snap.Groups = append(snap.Groups, mapping.Group{Key: id, Name: name, Code: code})
		}
		_, members := lookup(r, "members")
		list, _ := members.([]any)
		for _, m := range list {
			obj, _ := m.(map[string]any)
			_, v := lookup(obj, "value")
			uid := text(v)
			if !isUser(obj) || !known[uid] {
				continue
			}
			snap.Memberships = append(snap.Memberships, mapping.Membership{UserKey: uid, Kind: kind, ContainerKey: id, Role: mapping.RoleMember})
		}
	}
	snap.Sort()
	a.setListed(a.newListed(users, usersWhole, groups, groupsWhole))
	return snap, nil
}

// askMembers: when no Group of a list carries members at all, the server
// may return them only when asked (RFC 7643 §7, returned "request"). When
// its /Schemas say so, or say nothing, it lists the members again, by the
// attributes parameter, and puts them in; when they say members are
// returned by default, the Groups are empty and nothing more is read.
func (a *Adapter) askMembers(ctx context.Context, groups []resource) error {
	for _, r := range groups {
		if k, _ := lookup(r, "members"); k != "" {
			return nil
		}
	}
	if len(groups) == 0 || !a.membersOnRequest(ctx) {
		return nil
	}
	withMembers, err := a.list(ctx, groupsPath, "", "members")
	if err != nil {
		return err
	}
	byID := make(map[string]any, len(withMembers))
	for _, r := range withMembers {
		_, m := lookup(r, "members")
		byID[text(r["id"])] = m
	}
	for _, r := range groups {
		if m := byID[text(r["id"])]; m != nil {
			r["members"] = m
		}
	}
	return nil
}

// user maps a User resource to a canonical user by the attributes map.
func (a *Adapter) user(r resource) mapping.User {
	u := mapping.User{Key: text(r["id"])}
	_, active := lookup(r, "active")
	u.Suspended = !truth(active, true)
	for name, ap := range a.attrs {
		v := ap.get(r)
		switch name {
		case FieldKey:
		case FieldLoginID:
			u.LoginID = v
		case FieldEmail:
			u.Email = v
		case FieldName:
			u.Name = v
		default:
			if v != "" {
				if u.Attributes == nil {
					u.Attributes = map[string]string{}
				}
				u.Attributes[name] = v
			}
		}
	}
	return u
}

// group reads a Group resource: an org or a group (by its externalId),
// its name and its code.
func (a *Adapter) group(r resource) (mapping.Kind, string, string) {
	_, dn := lookup(r, "displayName")
	_, ext := lookup(r, "externalId")
	code := text(ext)
	if rest, ok := strings.CutPrefix(code, OrgPrefix); ok && a.orgsAs == OrgsAsGroups {
		return mapping.KindOrg, text(dn), rest
	}
	return mapping.KindGroup, text(dn), code
}

// metaVersion is a resource's meta.version, its ETag.
func metaVersion(r resource) string {
	_, meta := lookup(r, "meta")
	m, _ := meta.(map[string]any)
	_, v := lookup(m, "version")
	return text(v)
}
