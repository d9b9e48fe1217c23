package pcaid

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/orgbridge/orgbridge/internal/httpkit"
)

// User is a pcaid user. Optional strings the API reports as null are "".
type User struct {
	AccountID      string `lenient:"account_id,accountId,id"`
	OrganizationID string `lenient:"organization_id,organizationId"`
	Email          string `lenient:"email,mail"`
	Name           string `lenient:"name,display_name,displayName"`
	EmployeeNumber string `lenient:"employee_number,employeeNumber"`
	Department     string `lenient:"department"`
	Position       string `lenient:"position"`
	Status         string `lenient:"status"` // uninvited, invited or active
	Suspended      bool   `lenient:"suspended,is_suspended,isSuspended"`
	// Admin: the user holds the organization admin role.
	Admin               bool     `lenient:"admin,is_admin,isAdmin"`
	ServicePartitionIDs []string `lenient:"service_partition_ids,servicePartitionIds"`
}

// Removed reports a user a server keeps listed after its removal: status
// removed or deleted.
func (u User) Removed() bool {
	return strings.EqualFold(u.Status, "removed") || strings.EqualFold(u.Status, "deleted")
}

// ServicePartition is a service partition (サービス区画) of the
// organization: a canonical group.
type ServicePartition struct {
	ID          string `lenient:"service_partition_id,servicePartitionId,id"`
	Name        string `lenient:"name"`
	Code        string `lenient:"code"`
	Description string `lenient:"description"`
}

// PartitionUser is a user's row in a service partition's user list.
type PartitionUser struct {
	AccountID string `lenient:"account_id,accountId,id"`
	Email     string `lenient:"email"`
	Name      string `lenient:"name"`
	// Manager: the user holds the サービス責任者 role in the partition.
	Manager bool
}

// ImportTask is the state of an asynchronous user import.
type ImportTask struct {
	TaskID  string
	Status  string // pending, running, completed or failed
	Message string // why a task failed, when the server says
	Total   int
	Results []ImportRowResult
}

// Import task statuses.
const (
	TaskPending   = "pending"
	TaskRunning   = "running"
	TaskCompleted = "completed"
	TaskFailed    = "failed"
)

// ImportRowResult is what became of one row: Index is its position in the
// import (from 0), -1 when the server gave none.
type ImportRowResult struct {
	Index     int
	Email     string
	Failed    bool
	AccountID string
	// Errors maps a field to its messages.
	Errors map[string][]string
}

// Roles a user can hold.
const (
	// RoleOrganizationAdmin is the organization admin role (組織管理者).
	RoleOrganizationAdmin = "organization_admin"
	// RoleManager and RoleMember are the roles in a service partition;
	// manager is サービス責任者.
	RoleManager = "manager"
	RoleMember  = "member"
)

// Lenient decoding: the document gives no shapes, so each field is read
// under its snake_case and camelCase names, whatever JSON type it comes in
// (a number as a string, 0/1 or "true" as a boolean, null as empty).

type rawObject map[string]json.RawMessage

func (o rawObject) str(keys ...string) string { return httpkit.FirstScalar(o, keys...) }

// boolean reports whether any of keys holds true, 1 or "true"; ok is false
// when none of them is present.
func (o rawObject) boolean(keys ...string) (v, ok bool) { return httpkit.AnyTrue(o, keys...) }

func (o rawObject) integer(keys ...string) (int, bool) {
	for _, k := range keys {
		if f, err := strconv.ParseFloat(httpkit.Scalar(o[k]), 64); err == nil {
			return int(f), true
		}
	}
	return 0, false
}

func (o rawObject) strings(keys ...string) []string { return httpkit.FirstScalars(o, keys...) }

// UnmarshalJSON reads a user leniently (httpkit.DecodeLenient, by its
// tags). A user is suspended when "suspended" is true or its status is
// "suspended"; an admin when "admin"/"is_admin" is true or admin_roles (or
// roles) holds organization_admin.
func (u *User) UnmarshalJSON(b []byte) error {
	raw, err := httpkit.DecodeLenient(b, u)
	if err != nil {
		return err
	}
	o := rawObject(raw)
	u.Suspended = u.Suspended || strings.EqualFold(u.Status, "suspended")
	roles := append(o.strings("admin_roles", "adminRoles"), o.strings("roles")...)
	u.Admin = u.Admin || slices.ContainsFunc(roles, func(r string) bool {
		return strings.EqualFold(r, RoleOrganizationAdmin) || strings.EqualFold(r, "admin")
	})
	return nil
}

// UnmarshalJSON reads a service partition leniently
// (httpkit.UnmarshalLenient, by its tags).
func (p *ServicePartition) UnmarshalJSON(b []byte) error {
	return httpkit.UnmarshalLenient(b, p)
}

// UnmarshalJSON reads a partition user row leniently
// (httpkit.DecodeLenient, by its tags): role manager (or admin, or
// sp_manager true) is a manager.
func (m *PartitionUser) UnmarshalJSON(b []byte) error {
	raw, err := httpkit.DecodeLenient(b, m)
	if err != nil {
		return err
	}
	o := rawObject(raw)
	role := strings.ToLower(o.str("role"))
	flag, _ := o.boolean("sp_manager", "manager", "is_manager")
	m.Manager = role == RoleManager || role == "admin" || role == "sp_manager" || flag
	return nil
}

// UnmarshalJSON reads an import task leniently; the rows' outcomes come
// as "results" (or "rows"), one entry per row, or, where a server lists
// them apart, as "created" (the rows made: row, email, account_id) and
// "errors" (one entry per field error: row, email, field, message).
func (t *ImportTask) UnmarshalJSON(b []byte) error {
	var o rawObject
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	*t = ImportTask{
		TaskID:  o.str("task_id", "taskId", "id"),
		Status:  strings.ToLower(o.str("status")),
		Message: o.str("message", "error"),
	}
	t.Total, _ = o.integer("total")
	for _, k := range []string{"results", "rows"} {
		if raw, ok := o[k]; ok {
			var rows []ImportRowResult
			if err := json.Unmarshal(raw, &rows); err != nil {
				return err
			}
			t.Results = rows
			return nil
		}
	}
	return t.readLists(o)
}

// readLists reads the rows' outcomes from "created" and "errors" lists.
func (t *ImportTask) readLists(o rawObject) error {
	var created, failed []rawObject
	if raw, ok := o["created"]; ok {
		if err := json.Unmarshal(raw, &created); err != nil {
			return fmt.Errorf("created: %w", err)
		}
	}
	if raw, ok := o["errors"]; ok {
		if err := json.Unmarshal(raw, &failed); err != nil {
			// Not a list of rows: a task-level error, not row outcomes.
			return nil
		}
	}
	index := func(e rawObject) int {
		if i, ok := e.integer("index"); ok {
			return i
		}
		if row, ok := e.integer("row", "line"); ok {
			return row - 1
		}
		return -1
	}
	for _, e := range created {
		t.Results = append(t.Results, ImportRowResult{Index: index(e), Email: e.str("email"), AccountID: e.str("account_id", "accountId")})
	}
	byRow := map[int]int{} // index → position in Results, for the failed rows
	for _, e := range failed {
		i := index(e)
		pos, ok := byRow[i]
		if !ok || i < 0 {
			t.Results = append(t.Results, ImportRowResult{Index: i, Email: e.str("email"), Failed: true, Errors: map[string][]string{}})
			pos = len(t.Results) - 1
			byRow[i] = pos
		}
		field := e.str("field", "key", "name")
		t.Results[pos].Errors[field] = append(t.Results[pos].Errors[field], e.str("message", "error"))
	}
	return nil
}

// UnmarshalJSON reads one row's outcome leniently: its position as index
// (from 0) or row (from 1); failed when its status says so or it carries
// errors; errors as {"field":["…"]}, {"field":"…"} or
// [{"field":…,"message":…}].
func (r *ImportRowResult) UnmarshalJSON(b []byte) error {
	var o rawObject
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	*r = ImportRowResult{
		Index:     -1,
		Email:     o.str("email"),
		AccountID: o.str("account_id", "accountId"),
		Errors:    rowErrors(o["errors"]),
	}
	if i, ok := o.integer("index"); ok {
		r.Index = i
	} else if row, ok := o.integer("row", "line"); ok {
		r.Index = row - 1
	}
	status := strings.ToLower(o.str("status", "result"))
	r.Failed = status == "failed" || status == "error" || len(r.Errors) > 0 ||
		(r.AccountID == "" && status != "created" && status != "succeeded" && status != "success")
	if msg := o.str("message", "error"); r.Failed && len(r.Errors) == 0 && msg != "" {
		r.Errors = map[string][]string{"": {msg}}
	}
	return nil
}

func rowErrors(raw json.RawMessage) map[string][]string {
	if len(raw) == 0 {
		return nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) == nil {
		out := map[string][]string{}
		for k, v := range obj {
			var list []string
			if json.Unmarshal(v, &list) == nil {
				if len(list) > 0 {
					out[k] = list
				}
			} else if s := httpkit.Scalar(v); s != "" {
				out[k] = []string{s}
			}
		}
		return out
	}
	var list []rawObject
	if json.Unmarshal(raw, &list) == nil {
		out := map[string][]string{}
		for _, e := range list {
			field := e.str("field", "key", "name")
			out[field] = append(out[field], e.str("message", "error"))
		}
		return out
	}
	return nil
}
