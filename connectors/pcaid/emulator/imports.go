package emulator

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

// Import task statuses. The emulator never fails a whole task; "failed" is
// in the contract for a server that does.
const (
	TaskPending   = "pending"
	TaskRunning   = "running"
	TaskCompleted = "completed"
	TaskFailed    = "failed"
)

// Results of one import row.
const (
	RowCreated = "created"
	RowFailed  = "failed"
)

// ImportTask is an asynchronous user import as the API encodes it.
type ImportTask struct {
	TaskCounts
	Results []ImportRowResult `json:"results"`
	TaskTimes
}

// TaskCounts are the fields an import task's answer begins with, under
// every reading (embedded, they are encoded in its place).
type TaskCounts struct {
	TaskID    string `json:"task_id"`
	Status    string `json:"status"`
	Total     int    `json:"total"`
	Processed int    `json:"processed"`
	Succeeded int    `json:"succeeded"`
	Failed    int    `json:"failed"`
}

// TaskTimes are the fields an import task's answer ends with.
type TaskTimes struct {
	CreatedAt   string  `json:"created_at"`
	CompletedAt *string `json:"completed_at"`
}

// ImportRowResult is the outcome of one row: index is its position in the
// request's users array (from 0), row the same from 1.
type ImportRowResult struct {
	Index     int                 `json:"index"`
	Row       int                 `json:"row"`
	Status    string              `json:"status"`
	Email     string              `json:"email,omitempty"`
	AccountID string              `json:"account_id,omitempty"`
	Errors    map[string][]string `json:"errors,omitempty"`
}

type importTask struct {
	t    ImportTask
	rows []body
}

func (t *importTask) render() ImportTask {
	out := t.t
	out.Results = append([]ImportRowResult{}, t.t.Results...)
	out.CompletedAt = emukit.Clone(t.t.CompletedAt)
	return out
}

// importUsers serves POST /users/import {"users":[row…]}: 202 with the
// new task, pending. Only the envelope is checked here (users an array of
// 1 to 10000 objects); the rows are validated as they are processed.
func (c *call) importUsers() response {
	var errs errorBag
	raw, ok := c.in["users"]
	var rows []json.RawMessage
	switch {
	case !ok || isNull(raw):
		errs.Add("users", msgRequired("users"))
	case json.Unmarshal(raw, &rows) != nil:
		errs.Add("users", msgArray("users"))
	case len(rows) == 0:
		errs.Add("users", msgMinItems("users"))
	case len(rows) > maxImportRows:
		errs.Add("users", msgMaxItems("users", maxImportRows))
	}
	parsed := make([]body, len(rows))
	for i, row := range rows {
		if json.Unmarshal(row, &parsed[i]) != nil || parsed[i] == nil {
			key := fmt.Sprintf("users.%d", i)
			errs.Add(key, msgObject(key))
		}
	}
	if !errs.Empty() {
		return errs.unprocessable()
	}
	t := &importTask{rows: parsed, t: ImportTask{
		TaskCounts: TaskCounts{TaskID: c.s.newID(prefixTask), Status: TaskPending, Total: len(parsed)},
		Results:    []ImportRowResult{},
		TaskTimes:  TaskTimes{CreatedAt: c.s.stamp()},
	}}
	c.org.tasks[t.t.TaskID] = t
	return emukit.JSON(http.StatusAccepted, c.s.taskView(t))
}

// importStatus serves POST /users/import/tasks/{task_id}. The task moves
// on with each poll: a pending task becomes running; each poll of a
// running task processes the next ImportRowsPerPoll rows, and the poll
// that processes the last row completes it.
func (c *call) importStatus() response {
	t := c.org.tasks[c.params["task_id"]]
	if t == nil {
		return notFound()
	}
	switch t.t.Status {
	case TaskPending:
		t.t.Status = TaskRunning
	case TaskRunning:
		end := min(t.t.Processed+c.s.perPoll, t.t.Total)
		for i := t.t.Processed; i < end; i++ {
			t.t.Results = append(t.t.Results, c.importRow(t, i))
		}
		t.t.Processed = end
		if end == t.t.Total {
			t.t.Status = TaskCompleted
			if t.t.Failed > 0 && c.s.readings.Has(ReadingImportFailedWithRows) {
				t.t.Status = TaskFailed
			}
			ts := c.s.stamp()
			t.t.CompletedAt = &ts
			t.rows = nil
		}
	}
	return emukit.JSON(http.StatusOK, c.s.taskView(t))
}

// Status words of ReadingImportTaskWords.
var (
	taskWords = map[string]string{TaskPending: "PENDING", TaskRunning: "IN_PROGRESS", TaskCompleted: "SUCCEEDED", TaskFailed: "FAILED"}
	rowWords  = map[string]string{RowCreated: "SUCCEEDED", RowFailed: "FAILED"}
)

// importTaskLists is a task under ReadingImportResultLists: the rows'
// outcomes in two lists instead of results.
type importTaskLists struct {
	TaskCounts
	Created []createdRow `json:"created"`
	Errors  []errorRow   `json:"errors"`
	TaskTimes
}

type createdRow struct {
	Row       int    `json:"row"`
	Email     string `json:"email"`
	AccountID string `json:"account_id"`
}

type errorRow struct {
	Row     int    `json:"row"`
	Email   string `json:"email,omitempty"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// taskView is a task as the readings render it.
func (s *Server) taskView(t *importTask) any {
	out := t.render()
	if s.readings.Has(ReadingImportTaskWords) {
		out.Status = taskWords[out.Status]
		for i := range out.Results {
			out.Results[i].Status = rowWords[out.Results[i].Status]
		}
	}
	if !s.readings.Has(ReadingImportResultLists) {
		return out
	}
	v := importTaskLists{TaskCounts: out.TaskCounts, Created: []createdRow{}, Errors: []errorRow{}, TaskTimes: out.TaskTimes}
	for _, r := range out.Results {
		if r.AccountID != "" {
			v.Created = append(v.Created, createdRow{Row: r.Row, Email: r.Email, AccountID: r.AccountID})
			continue
		}
		for _, field := range slices.Sorted(maps.Keys(r.Errors)) {
			for _, msg := range r.Errors[field] {
				v.Errors = append(v.Errors, errorRow{Row: r.Row, Email: r.Email, Field: field, Message: msg})
			}
		}
	}
	return v
}

// importRow validates and creates one row, as POST /users would, with
// admin (a boolean) besides; rows are processed in order, so a repeated
// email fails on its second row.
func (c *call) importRow(t *importTask, i int) ImportRowResult {
	res := ImportRowResult{Index: i, Row: i + 1}
	var errs errorBag
	in := c.org.readUser(reader{in: t.rows[i], errs: &errs}, "", true, false)
	if in.email.value != nil {
		res.Email = *in.email.value
	}
	if !errs.Empty() {
		res.Status, res.Errors = RowFailed, errs.Fields()
		t.t.Failed++
		return res
	}
	res.Status, res.AccountID = RowCreated, c.addUser(in).u.AccountID
	t.t.Succeeded++
	return res
}
