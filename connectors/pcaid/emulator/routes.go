package emulator

import (
	"net/http"
	"strings"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

// Scopes of the document's スコープ column, as OAuth2 scope names.
const (
	ScopeOrganizations      = "organizations"       // 組織管理
	ScopeServicePartitions  = "service_partitions"  // サービス区画管理
	ScopeOrganizationMerges = "organization_merges" // 組織統合管理
	ScopeUsers              = "users"               // ユーザー管理
	ScopeServices           = "services"            // サービス管理
	ScopeServiceUsage       = "service_usage"       // サービス利用状況管理
)

// AllScopes lists every scope, in the document's order.
var AllScopes = []string{
	ScopeOrganizations, ScopeServicePartitions, ScopeOrganizationMerges,
	ScopeUsers, ScopeServices, ScopeServiceUsage,
}

// route is one row of the document's endpoint table.
type route struct {
	method  string
	pattern string // "/users/{account_id}/remove"
	scope   string
	// readOnly: a POST that changes nothing the client can see (the import
	// status poll), not counted in Stats.Writes.
	readOnly bool
	handler  func(*call) response
}

// routes lists every endpoint of the document, in its order. Those the
// emulator does not serve answer 501.
var routes = []route{
	{http.MethodGet, "/organizations", ScopeOrganizations, false, (*call).getOrganization},
	{http.MethodPut, "/organizations", ScopeOrganizations, false, nil},
	{http.MethodPut, "/organizations/rename", ScopeOrganizations, false, nil},
	{http.MethodGet, "/organizations/images/logo", ScopeOrganizations, false, nil},
	{http.MethodPut, "/organizations/images/logo", ScopeOrganizations, false, nil},
	{http.MethodGet, "/organizations/customer-id", ScopeOrganizations, false, nil},
	{http.MethodPost, "/organizations/customer-id", ScopeOrganizations, false, nil},
	{http.MethodGet, "/auth/url", ScopeOrganizations, false, nil},
	{http.MethodPost, "/connect_code", ScopeOrganizations, false, nil},
	{http.MethodPost, "/contracts/update", ScopeOrganizations, false, nil},

	{http.MethodGet, "/organizations/service_partition", ScopeServicePartitions, false, (*call).listPartitions},
	{http.MethodPost, "/organizations/service_partition", ScopeServicePartitions, false, (*call).savePartition},
	{http.MethodPost, "/organizations/service_partition/remove", ScopeServicePartitions, false, (*call).removePartition},
	{http.MethodPost, "/organizations/service_partition/connect_code", ScopeServicePartitions, false, nil},
	{http.MethodGet, "/organizations/service_partition/users", ScopeServicePartitions, false, (*call).listPartitionUsers},
	{http.MethodPost, "/organizations/service_partition/users", ScopeServicePartitions, false, nil},
	{http.MethodGet, "/organizations/service_partition/{task_id}", ScopeServicePartitions, false, nil},

	{http.MethodGet, "/organizations/service_partition/move", ScopeOrganizationMerges, false, nil},
	{http.MethodPost, "/organizations/service_partition/move", ScopeOrganizationMerges, false, nil},
	{http.MethodPost, "/organizations/service_partition/move/approval", ScopeOrganizationMerges, false, nil},
	{http.MethodPost, "/organizations/service_partition/move/{task_id}", ScopeOrganizationMerges, false, nil},

	{http.MethodGet, "/users", ScopeUsers, false, (*call).listUsers},
	{http.MethodPost, "/users", ScopeUsers, false, (*call).createUser},
	{http.MethodGet, "/users/query", ScopeUsers, false, (*call).queryUsers},
	{http.MethodPost, "/users/permitted", ScopeUsers, false, nil},
	{http.MethodGet, "/users/{account_id}", ScopeUsers, false, (*call).getUser},
	{http.MethodPut, "/users/{account_id}", ScopeUsers, false, (*call).updateUser},
	// The document spells this path "iamges"; it is served as written.
	{http.MethodGet, "/users/{account_id}/iamges/profile", ScopeUsers, false, nil},
	{http.MethodPut, "/users/{account_id}/iamges/profile", ScopeUsers, false, nil},
	{http.MethodGet, "/users/{account_id}/init", ScopeUsers, false, nil},
	{http.MethodPost, "/users/{account_id}/invite", ScopeUsers, false, (*call).inviteUser},
	{http.MethodPost, "/users/{account_id}/verify", ScopeUsers, false, nil},
	{http.MethodPost, "/users/{account_id}/password/reset", ScopeUsers, false, nil},
	{http.MethodPost, "/users/{account_id}/sessions/reset", ScopeUsers, false, nil},
	{http.MethodPost, "/users/{account_id}/admin_roles", ScopeUsers, false, (*call).assignAdmin},
	{http.MethodPost, "/users/{account_id}/admin_roles/unassign", ScopeUsers, false, (*call).unassignAdmin},
	{http.MethodPost, "/users/{account_id}/lifecycle/suspend", ScopeUsers, false, (*call).suspendUser},
	{http.MethodPost, "/users/{account_id}/lifecycle/unsuspend", ScopeUsers, false, (*call).unsuspendUser},
	{http.MethodPost, "/users/{account_id}/remove", ScopeUsers, false, (*call).removeUser},
	{http.MethodPost, "/users/import", ScopeUsers, false, (*call).importUsers},
	{http.MethodPost, "/users/import/tasks/{task_id}", ScopeUsers, true, (*call).importStatus},
	{http.MethodPost, "/users/export", ScopeUsers, false, nil},

	{http.MethodPost, "/users/{account_id}/service_partitions", ScopeServices, false, (*call).addUserPartitions},
	{http.MethodPost, "/users/{account_id}/service_partitions/remove", ScopeServices, false, (*call).removeUserPartitions},
	{http.MethodPost, "/users/{account_id}/sp_manager_roles", ScopeServices, false, (*call).setPartitionRole},

	{http.MethodGet, "/service_usage", ScopeServiceUsage, false, nil},
	{http.MethodPost, "/service_usage/login_time", ScopeServiceUsage, false, nil},
	{http.MethodPost, "/service_usage/tasks", ScopeServiceUsage, false, nil},
	{http.MethodPost, "/service_usage/tasks/{task_id}", ScopeServiceUsage, false, nil},
}

// match finds the route of method and path (below Prefix). Of the patterns
// that match the path, those with the fewest parameters win, so a literal
// segment ("/users/import") is never read as an id. With no route of that
// method it returns the methods the path does serve (none: 404; some: 405).
func match(method, path string) (*route, map[string]string, []string) {
	seg := strings.Split(strings.TrimPrefix(path, "/"), "/")
	best := -1
	var candidates []*route
	for i := range routes {
		n, ok := matchPattern(routes[i].pattern, seg, nil)
		if !ok {
			continue
		}
		switch {
		case best < 0 || n < best:
			best, candidates = n, []*route{&routes[i]}
		case n == best:
			candidates = append(candidates, &routes[i])
		}
	}
	rt, ok, allowed := emukit.PickMethod(candidates, method, func(rt *route) string { return rt.method })
	if !ok {
		return nil, nil, allowed
	}
	params := map[string]string{}
	matchPattern(rt.pattern, seg, params)
	if rt.handler == nil {
		rt = &route{method: rt.method, pattern: rt.pattern, scope: rt.scope, handler: notImplemented}
	}
	return rt, params, nil
}

// matchPattern reports whether seg matches pattern and how many parameters
// it took, filling params when given.
func matchPattern(pattern string, seg []string, params map[string]string) (int, bool) {
	pat := strings.Split(strings.TrimPrefix(pattern, "/"), "/")
	if len(pat) != len(seg) {
		return 0, false
	}
	n := 0
	for i, p := range pat {
		if strings.HasPrefix(p, "{") {
			if seg[i] == "" {
				return 0, false
			}
			n++
			if params != nil {
				params[strings.Trim(p, "{}")] = seg[i]
			}
			continue
		}
		if p != seg[i] {
			return 0, false
		}
	}
	return n, true
}

func notImplemented(*call) response {
	return errResp(http.StatusNotImplemented, "NOT_IMPLEMENTED", msgNotImplemented)
}
