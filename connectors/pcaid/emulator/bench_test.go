package emulator_test

import (
	"fmt"
	"testing"

	"github.com/orgbridge/orgbridge/connectors/pcaid/emulator"
)

// BenchmarkImport10k submits 10000 rows and polls the task to completion.
func BenchmarkImport10k(b *testing.B) {
	rows := make([]map[string]any, 10000)
	for i := range rows {
		rows[i] = map[string]any{"email": fmt.Sprintf("u%05d@example.com", i), "name": fmt.Sprintf("利用者%05d", i),
			"employee_number": fmt.Sprintf("E%05d", i), "admin": i%50 == 0}
	}
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b, emulator.Options{ImportRowsPerPoll: 1000})
		b.StartTimer()
		id := e.must(202, "POST", "/users/import", map[string]any{"users": rows})["task_id"].(string)
		for {
			if e.must(200, "POST", "/users/import/tasks/"+id, nil)["status"] == emulator.TaskCompleted {
				break
			}
		}
	}
}
