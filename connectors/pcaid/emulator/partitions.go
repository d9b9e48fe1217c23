package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

// partitionUserAsStatus is a partition user row under
// ReadingSuspendedAsStatus: no suspended field, a status instead.
type partitionUserAsStatus struct {
	PartitionUser
	Suspended *bool  `json:"suspended,omitempty"`
	Status    string `json:"status"`
}

// listPartitions serves GET /organizations/service_partition: every
// partition in one answer, paged only under ReadingPagingPage and
// ReadingPagingOffset.
func (c *call) listPartitions() response {
	all := c.org.partitionsByAge()
	fields := map[string]any{}
	if c.s.readings.Has(ReadingPagingPage) || c.s.readings.Has(ReadingPagingOffset) {
		var errs *errorBag
		all, fields, errs = pageOf(c, all, func(p *partitionRec) int64 { return p.seq })
		if !errs.Empty() {
			return errs.unprocessable()
		}
	}
	list := make([]ServicePartition, 0, len(all))
	for _, p := range all {
		list = append(list, c.org.renderPartition(p))
	}
	fields["service_partitions"] = list
	return emukit.JSON(http.StatusOK, fields)
}

// savePartition serves POST /organizations/service_partition. Without
// service_partition_id it adds a partition (201); with one it changes the
// fields sent of that partition (200), the document listing no other way
// to rename one.
func (c *call) savePartition() response {
	var errs errorBag
	r := reader{in: c.in, errs: &errs}
	var rec *partitionRec
	if _, ok := c.in["service_partition_id"]; ok {
		id := r.str("service_partition_id", true, 64)
		if !errs.Empty() {
			return errs.unprocessable()
		}
		if rec = c.org.partitions[*id.value]; rec == nil {
			return c.unknownPartition()
		}
	}
	self := ""
	if rec != nil {
		self = rec.p.ServicePartitionID
	}
	name := r.str("name", rec == nil || c.in["name"] != nil, maxPartitionName)
	code := r.code("code", maxPartitionCode)
	desc := r.str("description", false, maxDescription)
	for id, p := range c.org.partitions {
		if id == self {
			continue
		}
		if name.value != nil && strings.EqualFold(p.p.Name, *name.value) {
			errs.Add("name", msgUnique("name"))
		}
		if code.value != nil && p.p.Code != nil && strings.EqualFold(*p.p.Code, *code.value) {
			errs.Add("code", msgUnique("code"))
		}
	}
	if !errs.Empty() {
		return errs.unprocessable()
	}
	ts := c.s.stamp()
	if rec == nil {
		rec = &partitionRec{seq: c.s.nextSeq(), p: ServicePartition{
			ServicePartitionID: c.s.newID(prefixPartition),
			OrganizationID:     c.org.org.OrganizationID,
			Name:               *name.value,
			Code:               code.value,
			Description:        desc.value,
			CreatedAt:          ts,
			UpdatedAt:          ts,
		}}
		c.org.partitions[rec.p.ServicePartitionID] = rec
		c.org.members[rec.p.ServicePartitionID] = map[string]string{}
		return emukit.JSON(http.StatusCreated, c.org.renderPartition(rec))
	}
	p := &rec.p
	if name.present {
		p.Name = *name.value
	}
	if code.present {
		p.Code = code.value
	}
	if desc.present {
		p.Description = desc.value
	}
	p.UpdatedAt = ts
	return emukit.JSON(http.StatusOK, c.org.renderPartition(rec))
}

// partitionFromBody finds the partition a body's service_partition_id
// names: 422 when missing, 404 when unknown (see unknownPartition).
func (c *call) partitionFromBody() (*partitionRec, response, bool) {
	var errs errorBag
	id := reader{in: c.in, errs: &errs}.str("service_partition_id", true, 64)
	if !errs.Empty() {
		return nil, errs.unprocessable(), false
	}
	p := c.org.partitions[*id.value]
	if p == nil {
		return nil, c.unknownPartition(), false
	}
	return p, response{}, true
}

// unknownPartition answers a body's service_partition_id that names no
// partition: 404, or under ReadingPartitionUnknown422 a 422 on the field,
// as the membership calls answer one.
func (c *call) unknownPartition() response {
	if c.s.readings.Has(ReadingPartitionUnknown422) {
		var errs errorBag
		errs.Add("service_partition_id", msgExists("service_partition_id"))
		return errs.unprocessable()
	}
	return notFound()
}

// removePartition serves POST /organizations/service_partition/remove:
// 204; its users lose the assignment.
func (c *call) removePartition() response {
	p, resp, ok := c.partitionFromBody()
	if !ok {
		return resp
	}
	delete(c.org.partitions, p.p.ServicePartitionID)
	delete(c.org.members, p.p.ServicePartitionID)
	return emukit.NoContent()
}

// listPartitionUsers serves GET /organizations/service_partition/users
// ?service_partition_id (required) and the paging parameters, in the
// users' creation order.
func (c *call) listPartitionUsers() response {
	id := c.q("service_partition_id")
	if id == "" {
		var errs errorBag
		errs.Add("service_partition_id", msgRequired("service_partition_id"))
		return errs.unprocessable()
	}
	members := c.org.members[id]
	var in []*userRec
	for _, u := range c.org.usersByAge() {
		if _, ok := members[u.u.AccountID]; ok {
			in = append(in, u)
		}
	}
	recs, fields, errs := pageOf(c, in, func(u *userRec) int64 { return u.seq })
	if !errs.Empty() {
		return errs.unprocessable()
	}
	if c.org.partitions[id] == nil {
		return notFound()
	}
	users := make([]any, 0, len(recs))
	for _, u := range recs {
		row := PartitionUser{
			AccountID: u.u.AccountID, Email: u.u.Email, Name: u.u.Name,
			Suspended: u.u.Suspended, Role: members[u.u.AccountID],
		}
		if c.s.readings.Has(ReadingSuspendedAsStatus) {
			users = append(users, partitionUserAsStatus{PartitionUser: row, Status: c.s.statusOf(u)})
		} else {
			users = append(users, row)
		}
	}
	fields["users"] = users
	return emukit.JSON(http.StatusOK, fields)
}

// partitionIDs reads a body's service_partition_ids, each of which must
// name a partition of the organization (422 on its index); under
// ReadingPartitionIDSingle the one service_partition_id.
func (c *call) partitionIDs() ([]string, response, bool) {
	var errs errorBag
	r := reader{in: c.in, errs: &errs}
	if c.s.readings.Has(ReadingPartitionIDSingle) {
		id := r.str("service_partition_id", true, 64)
		if !errs.Empty() {
			return nil, errs.unprocessable(), false
		}
		if c.org.partitions[*id.value] == nil {
			errs.Add("service_partition_id", msgExists("service_partition_id"))
			return nil, errs.unprocessable(), false
		}
		return []string{*id.value}, response{}, true
	}
	ids := r.ids("service_partition_ids")
	for i, id := range ids {
		if c.org.partitions[id] == nil {
			key := fmt.Sprintf("service_partition_ids.%d", i)
			errs.Add(key, msgExists(key))
		}
	}
	if !errs.Empty() {
		return nil, errs.unprocessable(), false
	}
	return ids, response{}, true
}

// addUserPartitions serves POST /users/{account_id}/service_partitions:
// the user joins each partition as a member; one it is already in is left
// as it is (its role kept).
func (c *call) addUserPartitions() response {
	return c.changeUserPartitions(func(members map[string]string, accountID string) {
		if _, in := members[accountID]; !in {
			members[accountID] = RoleMember
		}
	})
}

// removeUserPartitions serves POST
// /users/{account_id}/service_partitions/remove: the user leaves each
// partition; one it is not in is ignored.
func (c *call) removeUserPartitions() response {
	return c.changeUserPartitions(func(members map[string]string, accountID string) {
		delete(members, accountID)
	})
}

// changeUserPartitions is the user's 404 and the ids' 422 of
// addUserPartitions and removeUserPartitions, then change of each named
// partition's members, then the user as it now is.
func (c *call) changeUserPartitions(change func(members map[string]string, accountID string)) response {
	rec, resp, ok := c.user()
	if !ok {
		return resp
	}
	ids, resp, ok := c.partitionIDs()
	if !ok {
		return resp
	}
	for _, id := range ids {
		change(c.org.members[id], rec.u.AccountID)
	}
	return emukit.JSON(http.StatusOK, c.userView(rec))
}

// setPartitionRole serves POST /users/{account_id}/sp_manager_roles
// {"service_partition_id", "role"}: role manager (the default) grants the
// サービス責任者 role in that partition, member takes it back. The user must
// be in the partition (422 on service_partition_id). Under
// ReadingSPManagerGrantOnly the call only grants: role is not read.
func (c *call) setPartitionRole() response {
	rec, resp, ok := c.user()
	if !ok {
		return resp
	}
	var errs errorBag
	r := reader{in: c.in, errs: &errs}
	id := r.str("service_partition_id", true, 64)
	role := RoleManager
	grantOnly := c.s.readings.Has(ReadingSPManagerGrantOnly)
	if raw, ok := c.in["role"]; ok && !isNull(raw) && !grantOnly {
		if json.Unmarshal(raw, &role) != nil || (role != RoleManager && role != RoleMember) {
			errs.Add("role", msgIn("role"))
		}
	}
	if !errs.Empty() {
		return errs.unprocessable()
	}
	members := c.org.members[*id.value]
	if c.org.partitions[*id.value] == nil {
		errs.Add("service_partition_id", msgExists("service_partition_id"))
	} else if _, in := members[rec.u.AccountID]; !in {
		errs.Add("service_partition_id", "ユーザーはservice_partition_idのサービス区画に所属していません。")
	}
	if !errs.Empty() {
		return errs.unprocessable()
	}
	members[rec.u.AccountID] = role
	return emukit.JSON(http.StatusOK, c.userView(rec))
}
