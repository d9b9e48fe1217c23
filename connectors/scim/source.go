package scim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/store"
	"github.com/orgbridge/orgbridge/mapping"
)

// Source reads what identity providers pushed, from the state store, as
// records for the mapping: one user record per live User, one group (or
// org) record per live Group. See doc.go for the attributes.
type Source struct {
	store    store.Store
	groupsAs mapping.Kind
	log      *zap.Logger
}

var _ connectors.IncrementalSource = (*Source)(nil)

// NewSource checks the source block and returns the source; st may be nil
// when the source is only validated (it is needed to read).
func NewSource(cfg Config, st store.Store, logger *zap.Logger) (*Source, error) {
	kind, err := cfg.groupsAs()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	return &Source{store: st, groupsAs: kind, log: logger}, nil
}

// Read reads every live resource.
func (s *Source) Read(ctx context.Context) ([]connectors.Record, error) {
	records, _, err := s.ReadChanged(ctx, "")
	return records, err
}

const markPrefix = "scim-seq:"

func parseMark(mark string) (int64, error) {
	if mark == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(mark, markPrefix), 10, 64)
	if err != nil || !strings.HasPrefix(mark, markPrefix) {
		return 0, fmt.Errorf("scim source: %q is not a SCIM high-water mark (was the job's source changed?)", mark)
	}
	return n, nil
}

// ReadChanged reads what changed after mark: the users written or touched
// (a group's membership change touches the users it added or removed) and
// the groups written, with every member of those groups, each user record
// carrying all of its memberships. A User deleted since the mark comes as a
// record with active "false" and deleted "true", so an incremental run
// suspends it at once; the full run, which leaves it out, then applies the
// job's leavers policy. A deleted Group is removed by the full run.
func (s *Source) ReadChanged(ctx context.Context, mark string) ([]connectors.Record, string, error) {
	if s.store == nil {
		return nil, "", errors.New("scim source: no state store")
	}
	since, err := parseMark(mark)
	if err != nil {
		return nil, "", err
	}
	changed, maxSeq, err := s.store.SCIMChanged(ctx, since)
	if err != nil {
		return nil, "", fmt.Errorf("scim source: read changes: %w", err)
	}
	newMark := markPrefix + strconv.FormatInt(maxSeq, 10)
	full := since == 0
	if !full && len(changed) == 0 {
		return nil, newMark, nil
	}
	groups, err := s.store.SCIMList(ctx, store.SCIMGroup)
	if err != nil {
		return nil, "", fmt.Errorf("scim source: list groups: %w", err)
	}
	users, err := s.store.SCIMList(ctx, store.SCIMUser)
	if err != nil {
		return nil, "", fmt.Errorf("scim source: list users: %w", err)
	}
	liveUser := make(map[string]bool, len(users))
	for _, u := range users {
		liveUser[u.ID] = true
	}
	// memberOf: user id → the live groups listing it.
	memberOf := map[string][]store.SCIMResource{}
	groupMembers := map[string][]string{}
	for _, g := range groups {
		ids, err := MemberIDs(g)
		if err != nil {
			return nil, "", err
		}
		for id := range ids {
			if liveUser[id] {
				memberOf[id] = append(memberOf[id], g)
				groupMembers[g.ID] = append(groupMembers[g.ID], id)
			}
		}
	}

	wantUser := map[string]bool{}
	wantGroup := map[string]bool{}
	var tombstones []store.SCIMResource
	if full {
		for _, u := range users {
			wantUser[u.ID] = true
		}
		for _, g := range groups {
			wantGroup[g.ID] = true
		}
	} else {
		for _, c := range changed {
			switch {
			case c.Type == store.SCIMUser && c.Deleted:
				tombstones = append(tombstones, c)
			case c.Type == store.SCIMUser:
				wantUser[c.ID] = true
			case c.Type == store.SCIMGroup && !c.Deleted:
				wantGroup[c.ID] = true
				for _, id := range groupMembers[c.ID] {
					wantUser[id] = true
				}
			}
		}
	}

	var records []connectors.Record
	for _, g := range groups {
		if wantGroup[g.ID] {
			records = append(records, GroupRecord(g, s.groupsAs))
		}
	}
	for _, u := range users {
		if !wantUser[u.ID] {
			continue
		}
		rec, err := UserRecord(u, memberOf[u.ID])
		if err != nil {
			return nil, "", err
		}
		records = append(records, rec)
	}
	for _, u := range tombstones {
		if liveUser[u.ID] {
			continue
		}
		rec, err := UserRecord(u, nil)
		if err != nil {
			return nil, "", err
		}
		rec.Attrs["active"] = []string{"false"}
		rec.Attrs["deleted"] = []string{"true"}
		records = append(records, rec)
	}
	s.log.Debug("scim source read", zap.Bool("full", full), zap.Int("records", len(records)), zap.String("mark", newMark))
	return records, newMark, nil
}

// GroupsAs is the kind a Group is read as: mapping.KindGroup, or
// mapping.KindOrg with groups_as: orgs.
func (s *Source) GroupsAs() mapping.Kind { return s.groupsAs }

// GroupRecord is the record of a live Group, of the given kind
// (mapping.KindGroup or KindOrg): id, externalId, displayName.
func GroupRecord(g store.SCIMResource, kind mapping.Kind) connectors.Record {
	return connectors.Record{
		Kind:   kind,
		Key:    g.ID,
		Origin: fmt.Sprintf("SCIM Group %s (%s)", g.ID, g.Name),
		Attrs: map[string][]string{
			"id":          {g.ID},
			"externalId":  {g.ExternalID},
			"displayName": {g.Name},
		},
	}
}

// UserRecord flattens a User into the attributes the mapping's templates
// read ({{.userName}}, {{.givenName}}, {{.department}}, ...); groups are
// the live Groups listing it (their ID and Name are read). The SCIM
// endpoint maps a pushed User with it too, so that it refuses what this
// source could not map.
func UserRecord(u store.SCIMResource, groups []store.SCIMResource) (connectors.Record, error) {
	var doc struct {
		UserName          string `json:"userName"`
		DisplayName       string `json:"displayName"`
		NickName          string `json:"nickName"`
		Title             string `json:"title"`
		UserType          string `json:"userType"`
		PreferredLanguage string `json:"preferredLanguage"`
		Locale            string `json:"locale"`
		Timezone          string `json:"timezone"`
		Active            any    `json:"active"`
		Name              struct {
			Formatted  string `json:"formatted"`
			GivenName  string `json:"givenName"`
			FamilyName string `json:"familyName"`
			MiddleName string `json:"middleName"`
		} `json:"name"`
		Emails       []multi `json:"emails"`
		PhoneNumbers []multi `json:"phoneNumbers"`
		Enterprise   struct {
			EmployeeNumber string `json:"employeeNumber"`
			CostCenter     string `json:"costCenter"`
			Organization   string `json:"organization"`
			Division       string `json:"division"`
			Department     string `json:"department"`
			Manager        struct {
				Value string `json:"value"`
			} `json:"manager"`
		} `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`
	}
	if len(u.Doc) > 0 {
		if err := json.Unmarshal(u.Doc, &doc); err != nil {
			return connectors.Record{}, fmt.Errorf("scim source: User %s: decode: %w", u.ID, err)
		}
	}
	active := "true"
	switch v := doc.Active.(type) {
	case bool:
		active = strconv.FormatBool(v)
	case string:
		if b, err := strconv.ParseBool(v); err == nil {
			active = strconv.FormatBool(b)
		}
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].ID < groups[j].ID })
	groupIDs := make([]string, len(groups))
	groupNames := make([]string, len(groups))
	for i, g := range groups {
		groupIDs[i], groupNames[i] = g.ID, g.Name
	}
	one := func(v string) []string { return []string{v} }
	e := doc.Enterprise
	return connectors.Record{
		Kind:   mapping.KindUser,
		Key:    u.ID,
		Origin: fmt.Sprintf("SCIM User %s (%s)", u.ID, u.Name),
		Attrs: map[string][]string{
			"id":                one(u.ID),
			"externalId":        one(u.ExternalID),
			"userName":          one(doc.UserName),
			"displayName":       one(doc.DisplayName),
			"nickName":          one(doc.NickName),
			"title":             one(doc.Title),
			"userType":          one(doc.UserType),
			"preferredLanguage": one(doc.PreferredLanguage),
			"locale":            one(doc.Locale),
			"timezone":          one(doc.Timezone),
			"active":            one(active),
			"deleted":           one("false"),
			"formattedName":     one(doc.Name.Formatted),
			"givenName":         one(doc.Name.GivenName),
			"familyName":        one(doc.Name.FamilyName),
			"middleName":        one(doc.Name.MiddleName),
			"email":             one(primary(doc.Emails, "work")),
			"emails":            one(joinValues(doc.Emails)),
			"phone":             one(primary(doc.PhoneNumbers, "work")),
			"employeeNumber":    one(e.EmployeeNumber),
			"costCenter":        one(e.CostCenter),
			"organization":      one(e.Organization),
			"division":          one(e.Division),
			"department":        one(e.Department),
			"manager":           one(e.Manager.Value),
			"groups":            one(strings.Join(groupIDs, ";")),
			"groupNames":        one(strings.Join(groupNames, ";")),
		},
	}, nil
}

// multi is an element of a multi-valued attribute such as emails.
type multi struct {
	Value   string `json:"value"`
	Type    string `json:"type"`
	Primary any    `json:"primary"`
}

// primary picks the primary value, else the first of the preferred type,
// else the first.
func primary(list []multi, preferred string) string {
	for _, m := range list {
		if b, ok := m.Primary.(bool); ok && b {
			return m.Value
		}
		if s, ok := m.Primary.(string); ok && strings.EqualFold(s, "true") {
			return m.Value
		}
	}
	for _, m := range list {
		if strings.EqualFold(m.Type, preferred) {
			return m.Value
		}
	}
	if len(list) > 0 {
		return list[0].Value
	}
	return ""
}

func joinValues(list []multi) string {
	vals := make([]string, 0, len(list))
	for _, m := range list {
		if m.Value != "" {
			vals = append(vals, m.Value)
		}
	}
	return strings.Join(vals, ";")
}

// MemberIDs lists the member values of a stored group. The endpoint
// stores members normalized (one object with a string value each).
func MemberIDs(g store.SCIMResource) (map[string]bool, error) {
	var doc struct {
		Members []struct {
			Value string `json:"value"`
		} `json:"members"`
	}
	if len(g.Doc) > 0 {
		if err := json.Unmarshal(g.Doc, &doc); err != nil {
			return nil, fmt.Errorf("scim source: Group %s: decode: %w", g.ID, err)
		}
	}
	ids := make(map[string]bool, len(doc.Members))
	for _, m := range doc.Members {
		if m.Value != "" {
			ids[m.Value] = true
		}
	}
	return ids, nil
}
