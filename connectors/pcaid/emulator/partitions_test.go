package emulator_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/orgbridge/orgbridge/connectors/pcaid/emulator"
)

var partitionIDRE = regexp.MustCompile(`^sp_[a-z0-9]{20}$`)

func TestPartitions(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	p := e.must(201, "POST", "/organizations/service_partition", map[string]any{"name": "会計", "code": "acc-1", "description": "会計部門"})
	id := p["service_partition_id"].(string)
	if !partitionIDRE.MatchString(id) || p["name"] != "会計" || p["code"] != "acc-1" || p["user_count"] != float64(0) {
		t.Errorf("created: %v", p)
	}
	other := e.createPartition("給与")
	for _, tt := range []struct {
		name string
		body map[string]any
		key  string
	}{
		{"name required", map[string]any{}, "name"},
		{"name 51", map[string]any{"name": strings.Repeat("区", 51)}, "name"},
		{"name taken", map[string]any{"name": "会計"}, "name"},
		{"code format", map[string]any{"name": "x", "code": "a b"}, "code"},
		{"code taken", map[string]any{"name": "x", "code": "ACC-1"}, "code"},
		{"description 201", map[string]any{"name": "x", "description": strings.Repeat("a", 201)}, "description"},
		{"rename to a taken name", map[string]any{"service_partition_id": other, "name": "会計"}, "name"},
		{"id not a string", map[string]any{"service_partition_id": 5, "name": "x"}, "service_partition_id"},
	} {
		if r := e.do("POST", "/organizations/service_partition", tt.body); r.status != 422 || !r.errKey(tt.key) {
			t.Errorf("%s: %d %s, want 422 on %s", tt.name, r.status, r.raw, tt.key)
		}
	}
	// With service_partition_id the POST changes the fields sent.
	u := e.must(200, "POST", "/organizations/service_partition", map[string]any{"service_partition_id": id, "description": ""})
	if u["name"] != "会計" || u["description"] != nil || u["code"] != "acc-1" {
		t.Errorf("after update: %v", u)
	}
	e.must(200, "POST", "/organizations/service_partition", map[string]any{"service_partition_id": id, "name": "経理"})
	if r := e.do("POST", "/organizations/service_partition", map[string]any{"service_partition_id": "sp_aaaaaaaaaaaaaaaaaaaa", "name": "x"}); r.status != 404 {
		t.Errorf("update unknown: %d", r.status)
	}
	list := e.must(200, "GET", "/organizations/service_partition", nil)["service_partitions"].([]any)
	if len(list) != 2 || list[0].(map[string]any)["name"] != "経理" || list[1].(map[string]any)["service_partition_id"] != other {
		t.Errorf("list: %v", list)
	}
	if r := e.do("POST", "/organizations/service_partition/remove", map[string]any{}); r.status != 422 || !r.errKey("service_partition_id") {
		t.Errorf("remove without id: %d %s", r.status, r.raw)
	}
	if r := e.do("POST", "/organizations/service_partition/remove", map[string]any{"service_partition_id": id}); r.status != 204 {
		t.Errorf("remove: %d %s", r.status, r.raw)
	}
	if r := e.do("POST", "/organizations/service_partition/remove", map[string]any{"service_partition_id": id}); r.status != 404 {
		t.Errorf("remove again: %d", r.status)
	}
}

func TestPartitionMembers(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	sp := e.createPartition("会計")
	sp2 := e.createPartition("給与")
	a := e.createUser("a@example.com", "A")
	b := e.createUser("b@example.com", "B")

	u := e.must(200, "POST", "/users/"+a+"/service_partitions", map[string]any{"service_partition_ids": []string{sp, sp2, sp}})
	if ids := u["service_partition_ids"].([]any); len(ids) != 2 {
		t.Errorf("service_partition_ids %v", ids)
	}
	e.must(200, "POST", "/users/"+b+"/service_partitions", map[string]any{"service_partition_ids": []string{sp}})
	e.must(200, "POST", "/users/"+a+"/sp_manager_roles", map[string]any{"service_partition_id": sp})
	// Joining again keeps the role.
	e.must(200, "POST", "/users/"+a+"/service_partitions", map[string]any{"service_partition_ids": []string{sp}})

	rows, _ := e.listAll("/organizations/service_partition/users", url.Values{"service_partition_id": {sp}}, 1)
	if len(rows) != 2 || rows[0]["account_id"] != a || rows[0]["role"] != "manager" || rows[1]["role"] != "member" || rows[1]["email"] != "b@example.com" {
		t.Errorf("partition users: %v", rows)
	}
	e.must(200, "POST", "/users/"+a+"/sp_manager_roles", map[string]any{"service_partition_id": sp, "role": "member"})
	if st := e.emu.State(); st.PartitionUsers[sp][a] != "member" {
		t.Errorf("role after revoke: %v", st.PartitionUsers[sp])
	}

	for _, tt := range []struct {
		name, path string
		body       map[string]any
		status     int
		key        string
	}{
		{"ids required", "/users/" + a + "/service_partitions", map[string]any{}, 422, "service_partition_ids"},
		{"ids empty", "/users/" + a + "/service_partitions", map[string]any{"service_partition_ids": []string{}}, 422, "service_partition_ids"},
		{"ids not an array", "/users/" + a + "/service_partitions", map[string]any{"service_partition_ids": sp}, 422, "service_partition_ids"},
		{"unknown partition", "/users/" + a + "/service_partitions", map[string]any{"service_partition_ids": []string{sp, "sp_x"}}, 422, "service_partition_ids.1"},
		{"unknown user", "/users/acc_aaaaaaaaaaaaaaaaaaaa/service_partitions", map[string]any{"service_partition_ids": []string{sp}}, 404, ""},
		{"role of a non-member", "/users/" + b + "/sp_manager_roles", map[string]any{"service_partition_id": sp2}, 422, "service_partition_id"},
		{"role unknown", "/users/" + a + "/sp_manager_roles", map[string]any{"service_partition_id": sp, "role": "owner"}, 422, "role"},
		{"role without partition", "/users/" + a + "/sp_manager_roles", map[string]any{}, 422, "service_partition_id"},
	} {
		r := e.do("POST", tt.path, tt.body)
		if r.status != tt.status || (tt.key != "" && !r.errKey(tt.key)) {
			t.Errorf("%s: %d %s, want %d on %q", tt.name, r.status, r.raw, tt.status, tt.key)
		}
	}

	// Leaving twice is fine; removing a user or a partition drops its
	// memberships.
	e.must(200, "POST", "/users/"+b+"/service_partitions/remove", map[string]any{"service_partition_ids": []string{sp}})
	e.must(200, "POST", "/users/"+b+"/service_partitions/remove", map[string]any{"service_partition_ids": []string{sp}})
	e.must(204, "POST", "/users/"+a+"/remove", nil)
	if rows, _ := e.listAll("/organizations/service_partition/users", url.Values{"service_partition_id": {sp}}, 10); len(rows) != 0 {
		t.Errorf("members after removals: %v", rows)
	}
	e.must(200, "POST", "/users/"+b+"/service_partitions", map[string]any{"service_partition_ids": []string{sp2}})
	e.must(204, "POST", "/organizations/service_partition/remove", map[string]any{"service_partition_id": sp2})
	if u := e.must(200, "GET", "/users/"+b, nil); len(u["service_partition_ids"].([]any)) != 0 {
		t.Errorf("user still in a removed partition: %v", u)
	}
	if r := e.do("GET", "/organizations/service_partition/users?service_partition_id="+sp2, nil); r.status != 404 {
		t.Errorf("users of a removed partition: %d", r.status)
	}
	if r := e.do("GET", "/organizations/service_partition/users", nil); r.status != 422 || !r.errKey("service_partition_id") {
		t.Errorf("users without partition id: %d %s", r.status, r.raw)
	}
}
