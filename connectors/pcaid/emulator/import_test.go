package emulator_test

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/orgbridge/orgbridge/connectors/pcaid/emulator"
)

var taskIDRE = regexp.MustCompile(`^task_[a-z0-9]{20}$`)

func importRows(n int) []map[string]any {
	rows := make([]map[string]any, n)
	for i := range rows {
		rows[i] = map[string]any{"email": fmt.Sprintf("u%03d@example.com", i), "name": fmt.Sprintf("利用者%03d", i)}
	}
	return rows
}

// A task moves pending → running → completed with the polls, processing
// ImportRowsPerPoll rows each; rows are validated as they are processed.
func TestImportTaskLifecycle(t *testing.T) {
	e := newEnv(t, emulator.Options{ImportRowsPerPoll: 4})
	e.createUser("taken@example.com", "既存")
	rows := importRows(10)
	rows[2] = map[string]any{"email": "TAKEN@example.com", "name": "重複"}
	rows[5] = map[string]any{"email": "u001@example.com", "name": "取り込み内で重複"} // row 1 wins
	rows[7] = map[string]any{"email": "bad", "name": ""}
	rows[8]["admin"] = true
	rows[9]["admin"] = "yes"

	w0 := e.emu.Stats().Writes
	task := e.must(202, "POST", "/users/import", map[string]any{"users": rows})
	id := task["task_id"].(string)
	if !taskIDRE.MatchString(id) || task["status"] != "pending" || task["total"] != float64(10) || len(task["results"].([]any)) != 0 {
		t.Fatalf("submitted: %v", task)
	}
	if n := len(e.emu.State().Users); n != 1 {
		t.Errorf("%d users before any poll, want 1: rows wait for the task", n)
	}
	poll := func() map[string]any { return e.must(200, "POST", "/users/import/tasks/"+id, nil) }
	for i, want := range []struct {
		status    string
		processed float64
	}{{"running", 0}, {"running", 4}, {"running", 8}, {"completed", 10}, {"completed", 10}} {
		got := poll()
		if got["status"] != want.status || got["processed"] != want.processed {
			t.Fatalf("poll %d: %v %v, want %s %v", i+1, got["status"], got["processed"], want.status, want.processed)
		}
		task = got
	}
	if task["succeeded"] != float64(6) || task["failed"] != float64(4) || task["completed_at"] == nil {
		t.Errorf("counts: %v", task)
	}
	results := task["results"].([]any)
	if len(results) != 10 {
		t.Fatalf("%d results", len(results))
	}
	wantErr := map[int]string{2: "email", 5: "email", 7: "email", 9: "admin"}
	for i, r := range results {
		row := r.(map[string]any)
		if row["index"] != float64(i) || row["row"] != float64(i+1) {
			t.Errorf("result %d: index %v row %v", i, row["index"], row["row"])
		}
		if field, bad := wantErr[i]; bad {
			errs, _ := row["errors"].(map[string]any)
			if row["status"] != "failed" || errs[field] == nil || row["account_id"] != nil {
				t.Errorf("row %d: %v, want failed on %s", i, row, field)
			}
			continue
		}
		if row["status"] != "created" || !accountIDRE.MatchString(fmt.Sprint(row["account_id"])) {
			t.Errorf("row %d: %v, want created", i, row)
		}
	}
	if errs := results[7].(map[string]any)["errors"].(map[string]any); errs["name"] == nil {
		t.Errorf("row 7 reports every error of the row: %v", errs)
	}
	admin := e.must(200, "GET", "/users/"+results[8].(map[string]any)["account_id"].(string), nil)
	if roles := admin["admin_roles"].([]any); len(roles) != 1 {
		t.Errorf("an admin row: %v", admin)
	}
	if n := len(e.emu.State().Users); n != 7 {
		t.Errorf("%d users, want 7", n)
	}
	if d := e.emu.Stats().Writes - w0; d != 1 {
		t.Errorf("%d writes counted, want 1 (polls are not writes)", d)
	}
}

func TestImportEnvelope(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	tooMany := make([]map[string]any, 10001)
	for _, tt := range []struct {
		name string
		body map[string]any
		key  string
	}{
		{"users required", map[string]any{}, "users"},
		{"users not an array", map[string]any{"users": "x"}, "users"},
		{"users empty", map[string]any{"users": []any{}}, "users"},
		{"a row not an object", map[string]any{"users": []any{map[string]any{}, "x"}}, "users.1"},
		{"too many rows", map[string]any{"users": tooMany}, "users"},
	} {
		if r := e.do("POST", "/users/import", tt.body); r.status != 422 || !r.errKey(tt.key) {
			t.Errorf("%s: %d %.200s, want 422 on %s", tt.name, r.status, r.raw, tt.key)
		}
	}
	if r := e.do("POST", "/users/import/tasks/task_aaaaaaaaaaaaaaaaaaaa", nil); r.status != 404 {
		t.Errorf("unknown task: %d", r.status)
	}
	// Another organization's task is unknown.
	id := e.must(202, "POST", "/users/import", map[string]any{"users": importRows(1)})["task_id"].(string)
	other := e.emu.AddOrganization("別会社")
	e.emu.AddClientTo(other, "o", "s")
	if r := e.doAs(e.fetchToken("o", "s", ""), "POST", "/users/import/tasks/"+id, nil); r.status != 404 {
		t.Errorf("another organization's task: %d", r.status)
	}
	if st := e.emu.State(); len(st.Tasks) != 1 || st.Tasks[0].Status != emulator.TaskPending {
		t.Errorf("Dump tasks: %+v", st.Tasks)
	}
}
