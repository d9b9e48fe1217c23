package pcaid

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
)

// maxPollFailures is how many polls in a row may fail transiently before
// an import is given up.
const maxPollFailures = 5

// MinBatch is import_threshold: from this many user creates in a stage the
// executor hands them to ApplyBatch, one import for all.
func (a *Adapter) MinBatch() int { return a.importThreshold }

// ApplyBatch creates users through one asynchronous import: it posts every
// row to /users/import, polls the task every import_poll until it is
// completed (or failed, or the wait of WithImportMaxWait, an hour by
// default, is over), and maps each row's outcome back to its change: the
// new account_id, or that row's errors as a *connectors.FieldError naming
// the row and the fields. Rows marked admin are imported with "admin":
// true; users to be created suspended are suspended after the import. A
// change that is not a user create is applied on its own.
func (a *Adapter) ApplyBatch(ctx context.Context, changes []connectors.Change, ids connectors.IDs) ([]connectors.Result, []error) {
	results := make([]connectors.Result, len(changes))
	errs := make([]error, len(changes))
	fail := func(i int, err error) {
		c := changes[i]
		errs[i] = fmt.Errorf("pcaid: %s %s %s: %w", c.Action, c.Kind, c.Key, err)
	}
	var (
		rows  []Fields
		owner []int // change index of each row
	)
	for i, c := range changes {
		if c.Kind != mapping.KindUser || c.Action != connectors.ActionCreate {
			results[i], errs[i] = a.Apply(ctx, c, ids)
			continue
		}
		if c.User == nil {
			fail(i, errors.New("change carries no user"))
			continue
		}
		f, admin, err := userBody(c.User)
		if err != nil {
			fail(i, err)
			continue
		}
		if admin {
			f["admin"] = true
		}
		rows = append(rows, f)
		owner = append(owner, i)
	}
	if len(rows) == 0 {
		return results, errs
	}
	failAll := func(err error) {
		for _, i := range owner {
			fail(i, err)
		}
	}

	task, err := a.client.ImportUsers(ctx, rows)
	if err != nil {
		failAll(fmt.Errorf("import: %w", err))
		return results, errs
	}
	if task.TaskID == "" && !done(task.Status) {
		failAll(errors.New("POST /users/import: the answer has no task_id"))
		return results, errs
	}
	log := a.logger.With(zap.String("task_id", task.TaskID))
	log.Info("user import started", zap.Int("rows", len(rows)))
	task, polls, err := a.waitImport(ctx, task)
	if err != nil {
		failAll(err)
		log.Debug("user import did not complete", zap.Int("polls", polls), zap.Error(err))
		return results, errs
	}
	if taskFailed(task.Status) {
		// A task that failed with its rows' outcomes (a server may end a
		// task with failed rows so): each row as it went.
		log.Warn("user import task failed; its rows are taken one by one", zap.String("status", task.Status), zap.Int("rows_reported", len(task.Results)))
	}

	byIndex, byEmail := map[int]ImportRowResult{}, map[string]ImportRowResult{}
	for _, r := range task.Results {
		if r.Index >= 0 {
			byIndex[r.Index] = r
		}
		if r.Email != "" {
			byEmail[strings.ToLower(r.Email)] = r
		}
	}
	var suspend []int
	created, failed := 0, 0
	for row, i := range owner {
		r, ok := byIndex[row]
		if !ok {
			r, ok = byEmail[strings.ToLower(changes[i].User.Email)]
		}
		switch {
		case !ok && taskFailed(task.Status):
			// The task stopped before this row: try it again.
			fail(i, &connectors.TransientError{Err: fmt.Errorf("import task %s failed before row %d", task.TaskID, row+1)})
		case !ok:
			fail(i, fmt.Errorf("import task %s reported nothing for row %d", task.TaskID, row+1))
		case r.Failed:
			fail(i, rowError(task.TaskID, row, r))
			log.Debug("import row failed", zap.String("key", changes[i].Key), zap.Int("row", row+1),
				zap.Strings("fields", sortedFields(r.Errors)))
		case r.AccountID == "":
			fail(i, fmt.Errorf("import task %s row %d: created, but no account_id was reported", task.TaskID, row+1))
		default:
			results[i] = connectors.Result{TargetID: r.AccountID}
			created++
			if changes[i].User.Suspended {
				suspend = append(suspend, i)
			}
			continue
		}
		failed++
	}
	a.suspendImported(ctx, suspend, results, fail)
	log.Info("user import completed", zap.Int("polls", polls), zap.Int("created", created), zap.Int("failed", failed))
	return results, errs
}

// done reports whether a task status is final. Besides the contract's
// completed and failed, other servers' words for them are accepted.
func done(status string) bool { return completed(status) || taskFailed(status) }

func completed(status string) bool {
	switch status {
	case TaskCompleted, "complete", "succeeded", "success", "done", "finished":
		return true
	}
	return false
}

func taskFailed(status string) bool {
	switch status {
	case TaskFailed, "error", "aborted", "cancelled", "canceled":
		return true
	}
	return false
}

// waitImport polls the task every importPoll until it is final. A failed
// task that reports its rows is returned like a completed one (its rows
// say what became of each). A failed task that reports none, a task still
// running after importMaxWait and polls that keep failing transiently are
// transient errors: rows the server did create are matched by email on
// the next run.
func (a *Adapter) waitImport(ctx context.Context, task ImportTask) (ImportTask, int, error) {
	id := task.TaskID
	deadline := a.clock.Now().Add(a.importMaxWait)
	polls, failures := 0, 0
	for {
		switch {
		case completed(task.Status):
			return task, polls, nil
		case taskFailed(task.Status) && len(task.Results) > 0:
			return task, polls, nil
		case taskFailed(task.Status):
			msg := task.Message
			if msg == "" {
				msg = "no reason given"
			}
			return task, polls, &connectors.TransientError{Err: fmt.Errorf("import task %s failed: %s", id, msg)}
		case !a.clock.Now().Before(deadline):
			return task, polls, &connectors.TransientError{Err: fmt.Errorf("import task %s is still %s after %s", id, task.Status, a.importMaxWait)}
		}
		if err := a.clock.Sleep(ctx, a.importPoll); err != nil {
			return task, polls, fmt.Errorf("import task %s: %w", id, err)
		}
		polls++
		next, err := a.client.ImportStatus(ctx, id)
		if err != nil {
			if connectors.IsTransient(err) && failures < maxPollFailures {
				failures++
				continue
			}
			return task, polls, fmt.Errorf("import task %s: %w", id, err)
		}
		failures = 0
		if next.TaskID == "" {
			next.TaskID = id
		}
		task = next
	}
}

// rowError is a failed row as a FieldError: the message names the task and
// the row (from 1), Fields the row's fields and their messages.
func rowError(taskID string, row int, r ImportRowResult) error {
	fe := &connectors.FieldError{
		Status:  422,
		Message: fmt.Sprintf("import task %s row %d failed", taskID, row+1),
		Fields:  map[string][]string{},
	}
	for field, msgs := range r.Errors {
		if field == "" {
			fe.Message += ": " + strings.Join(msgs, "; ")
			continue
		}
		fe.Fields[field] = msgs
	}
	if len(r.Errors) == 0 {
		fe.Message += ": no reason given"
	}
	return fe
}

func sortedFields(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// suspendImported suspends the imported users created suspended, four at
// a time; a failure fails that change, keeping its new id.
func (a *Adapter) suspendImported(ctx context.Context, which []int, results []connectors.Result, fail func(int, error)) {
	var g errgroup.Group
	g.SetLimit(readConcurrency)
	for _, i := range which {
		g.Go(func() error {
			id := results[i].TargetID
			if err := a.client.SuspendUser(ctx, id); err != nil {
				fail(i, fmt.Errorf("imported as %s, then suspend: %w", id, err))
			}
			return nil
		})
	}
	_ = g.Wait()
}
