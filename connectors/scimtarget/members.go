package scimtarget

import (
	"context"
	"strings"
	"sync"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
)

// memberQueues gathers the member changes of each Group so that those
// the executor applies at the same time go in one PATCH: the first
// change of a Group sends its own, and while it is on the wire the
// others queue behind it; whoever sends takes everything queued, up to
// the batch size, and so on until the queue is empty. Nothing waits on
// a timer: a lone change goes at once.
type memberQueues struct {
	mu     sync.Mutex
	queues map[string]*memberQueue
}

type memberQueue struct {
	pending []*memberOp
	busy    bool
}

// memberOp is one member added or removed, and its outcome.
type memberOp struct {
	add  bool
	user string
	done chan error
}

func (a *Adapter) applyMembership(ctx context.Context, c connectors.Change, ids connectors.IDs, log *zap.Logger) (connectors.Result, error) {
	if c.Membership.Kind != mapping.KindOrg && c.Membership.Kind != mapping.KindGroup {
		return connectors.Result{}, errUnknownKind(c.Membership.Kind)
	}
	user, err := c.MemberUser().Resolve(ids)
	if err != nil {
		return connectors.Result{}, err
	}
	group, err := c.Container().Resolve(ids)
	if err != nil {
		return connectors.Result{}, err
	}
	op := &memberOp{add: c.Action == connectors.ActionCreate, user: user, done: make(chan error, 1)}
	return connectors.Result{}, a.member(ctx, group, op)
}

func errUnknownKind(k mapping.Kind) error {
	return &connectors.FieldError{Message: "a membership of kind " + string(k) + " is neither an org nor a group"}
}

// batchSize is how many member operations one PATCH carries:
// max_operations, and no more than the server's bulk.maxOperations
// (the only limit on operations a ServiceProviderConfig can state).
func (a *Adapter) batchSize(ctx context.Context) int {
	n := a.maxOps
	if f, err := a.client.discover(ctx); err == nil && f.maxOps > 0 && f.maxOps < n {
		n = f.maxOps
	}
	return n
}

// member queues op for group and returns its outcome, sending the queue
// itself when no one else is.
func (a *Adapter) member(ctx context.Context, group string, op *memberOp) error {
	m := &a.members
	m.mu.Lock()
	if m.queues == nil {
		m.queues = map[string]*memberQueue{}
	}
	q := m.queues[group]
	if q == nil {
		q = &memberQueue{}
		m.queues[group] = q
	}
	q.pending = append(q.pending, op)
	if q.busy {
		m.mu.Unlock()
		select {
		case err := <-op.done:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	q.busy = true
	m.mu.Unlock()
	size := a.batchSize(ctx)
	for {
		m.mu.Lock()
		if len(q.pending) == 0 {
			q.busy = false
			delete(m.queues, group)
			m.mu.Unlock()
			break
		}
		n := min(len(q.pending), size)
		batch := q.pending[:n:n]
		q.pending = q.pending[n:]
		m.mu.Unlock()
		a.sendMembers(ctx, group, batch)
	}
	return <-op.done
}

// sendMembers writes a batch in one PATCH (or PUT); when it fails and
// holds more than one change, each is sent alone, so that one bad member
// fails its own change only.
func (a *Adapter) sendMembers(ctx context.Context, group string, batch []*memberOp) {
	err := a.writeMembers(ctx, group, batch)
	if err != nil && len(batch) > 1 {
		a.logger.Debug("a batch of member changes failed: sending each alone", zap.String("group", group), zap.Int("changes", len(batch)), zap.Error(err))
		for _, op := range batch {
			op.done <- a.writeMembers(ctx, group, []*memberOp{op})
		}
		return
	}
	for _, op := range batch {
		op.done <- err
	}
}

// writeMembers is one write of member changes: an add of the new
// members and a remove per member leaving (RFC 7644 §3.5.2: never a
// replace of the whole list, which would drop members orgbridge does not
// manage). A lone removal of someone not a member (noTarget) is done.
func (a *Adapter) writeMembers(ctx context.Context, group string, batch []*memberOp) error {
	var ops []patchOp
	var adds []any
	for _, op := range batch {
		if op.add {
			adds = append(adds, map[string]any{"value": op.user})
		} else {
			ops = append(ops, patchOp{Op: "remove", Path: "members[value eq " + quote(op.user) + "]"})
		}
	}
	if len(adds) > 0 {
		ops = append([]patchOp{{Op: "add", Path: "members", Value: adds}}, ops...)
	}
	path := groupsPath + "/" + group
	err := a.modify(ctx, path, nil, ops, func(r resource) { overlayMembers(r, batch) })
	if err != nil && len(batch) == 1 && !batch[0].add && (scimType(err) == "noTarget") {
		return nil
	}
	return err
}

// overlayMembers applies the batch to a Group's members for a PUT.
func overlayMembers(r resource, batch []*memberOp) {
	k, cur := lookup(r, "members")
	if k == "" {
		k = "members"
	}
	list, _ := cur.([]any)
	in := map[string]bool{}
	out := list[:0:0]
	drop := map[string]bool{}
	for _, op := range batch {
		if !op.add {
			drop[op.user] = true
		}
	}
	for _, item := range list {
		obj, _ := item.(map[string]any)
		_, v := lookup(obj, "value")
		id := text(v)
		if drop[id] {
			continue
		}
		in[id] = true
		out = append(out, item)
	}
	for _, op := range batch {
		if op.add && !in[op.user] && !drop[op.user] {
			in[op.user] = true
			out = append(out, map[string]any{"value": op.user})
		}
	}
	r[k] = out
}

// isUser reports whether a member entry is a User (no type, or "User").
func isUser(obj map[string]any) bool {
	_, t := lookup(obj, "type")
	s := text(t)
	return s == "" || strings.EqualFold(s, "User")
}
