package directory

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/change"
	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/internal/httpkit"
	"github.com/orgbridge/orgbridge/mapping"
)

// Apply makes one change to a user (see "Writing" in the package doc).
// Errors name the change and wrap the API's: *connectors.FieldError for a
// 422 or an unknown account type, connectors.ErrConflict, a TransientError
// for what may succeed later.
func (a *Adapter) Apply(ctx context.Context, c connectors.Change, ids connectors.IDs) (connectors.Result, error) {
	return ops.Apply(ctx, a, a.logger, c, ids)
}

// ops is what Apply applies, by kind and action.
var ops = connectors.NewOps[*Adapter]("directory").
	On(mapping.KindUser, (*Adapter).create, connectors.ActionCreate).
	On(mapping.KindUser, (*Adapter).update, connectors.ActionUpdate).
	On(mapping.KindUser, (*Adapter).suspend, connectors.ActionSuspend).
	On(mapping.KindUser, (*Adapter).remove, connectors.ActionDelete).
	Refuse("the directory holds only users (account-type assignments)", mapping.KindOrg, mapping.KindGroup, mapping.KindMembership)

// statusValue is the word written for a status (directory.status_values).
func (a *Adapter) statusValue(suspended bool) string {
	if suspended {
		return a.status.Suspended
	}
	return a.status.Active
}

// codesOf returns the account type codes a desired user asks for (the
// default when none), and whether account_type is mapped at all.
func (a *Adapter) codesOf(u *mapping.User) ([]string, bool) {
	v, mapped := u.Attributes[AttrAccountType]
	codes := parseCodes(v)
	if len(codes) == 0 {
		codes = []string{a.defaultCode}
	}
	return codes, mapped
}

// checkCodes refuses, before any write, a code outside
// managed_account_types, and one that the organization's last listing did
// not name, so that a typo does not cost a user the account type it holds.
func (a *Adapter) checkCodes(codes []string) error {
	a.mu.Lock()
	known := a.known
	a.mu.Unlock()
	for _, c := range codes {
		if !a.isManaged(c) {
			msg := fmt.Sprintf("account type %q is not in directory.managed_account_types (%s): orgbridge does not assign it",
				c, strings.Join(slices.Sorted(maps.Keys(a.managed)), ", "))
			return &connectors.FieldError{Message: msg, Fields: map[string][]string{"code": {msg}}}
		}
		if known != nil && !known[c] {
			msg := fmt.Sprintf("account type %q is not one of the organization's (%s)", c, strings.Join(slices.Sorted(maps.Keys(known)), ", "))
			return &connectors.FieldError{Message: msg, Fields: map[string][]string{"code": {msg}}}
		}
	}
	return nil
}

// secondCodeError is a 409 on a code the subject does not hold: the server
// allows one account type per subject.
type secondCodeError struct {
	subject, code string
	held          []string
	err           error
}

func (e *secondCodeError) Error() string {
	return fmt.Sprintf("assign account type %q: the server refused it to subject %s, which holds %s: it allows one account type per subject: %v",
		e.code, e.subject, strings.Join(e.held, ", "), e.err)
}

func (e *secondCodeError) Unwrap() error { return e.err }

// refusedStatus reports whether the server refused a PUT's status word: a
// 400 or 422 naming the status field, or saying "status", or saying
// nothing at all (then the word is the likely cause).
func refusedStatus(err error) bool {
	var se *httpkit.StatusError
	if !errors.As(err, &se) || (se.Status != http.StatusBadRequest && se.Status != http.StatusUnprocessableEntity) {
		return false
	}
	text := se.Message
	var fe *connectors.FieldError
	if errors.As(err, &fe) {
		if _, ok := fe.Fields["status"]; ok {
			return true
		}
		text += " " + fe.Error()
	}
	text = strings.ToLower(strings.TrimSpace(text))
	return text == "" || strings.Contains(text, "status")
}

// statusError wraps a refused PUT of a status: the document lists no
// status values, so the fix is the config key, and the error names it.
func (a *Adapter) statusError(subject, code string, suspended bool, err error) error {
	key, val := "active", a.status.Active
	if suspended {
		key, val = "suspended", a.status.Suspended
	}
	if refusedStatus(err) {
		return fmt.Errorf("set account type %q of %s to status %q: %w (the document lists no status values: "+
			"set directory.status_values.%s to the word this server uses)", code, subject, val, err, key)
	}
	return fmt.Errorf("set account type %q of %s to status %q: %w", code, subject, val, err)
}

// setStatus PUTs the status on an assignment the subject holds.
func (a *Adapter) setStatus(ctx context.Context, subject, code string, suspended bool) error {
	if _, err := a.client.SetStatus(ctx, subject, code, a.statusValue(suspended)); err != nil {
		return a.statusError(subject, code, suspended, err)
	}
	return nil
}

// assign gives the subject each code with the status: the POST's answer
// says the status the assignment has (a new one is active on most
// servers, suspended on some), and it is set when it differs; an answer
// that says none (204) gets the status set whatever it is. One the subject
// already holds (409, or 200 from a server whose POST is idempotent) gets
// the status set when it differs. A 409 on a code the subject does not
// hold is a *secondCodeError.
func (a *Adapter) assign(ctx context.Context, subject string, codes []string, suspended bool, log *zap.Logger) error {
	for _, code := range codes {
		got, err := a.client.Assign(ctx, subject, code)
		status := got.Status
		switch {
		case err == nil && status == "":
			// The answer (204, or a body without a status) does not say
			// what the server holds, and nothing says what status a new
			// association starts with (004:29): set the one wanted.
			if err := a.setStatus(ctx, subject, code, suspended); err != nil {
				return err
			}
			continue
		case err == nil:
		case errors.Is(err, connectors.ErrConflict):
			h, rerr := a.holdings(ctx, subject)
			if rerr != nil {
				return fmt.Errorf("assign account type %q: %w; then reading what %s holds: %w", code, err, subject, rerr)
			}
			st, held := h[code]
			if !held {
				return &secondCodeError{subject: subject, code: code, held: slices.Sorted(maps.Keys(h)), err: err}
			}
			log.Info("already assigned", zap.String("code", code))
			status = st
		default:
			return fmt.Errorf("assign account type %q: %w", code, err)
		}
		if is, ok := a.classify(status); ok && is == suspended {
			continue
		}
		if err := a.setStatus(ctx, subject, code, suspended); err != nil {
			return err
		}
	}
	return nil
}

// revoke removes each code from the subject; one already gone counts as
// done.
func (a *Adapter) revoke(ctx context.Context, subject string, codes []string, log *zap.Logger) error {
	for _, code := range codes {
		if err := a.client.Unassign(ctx, subject, code); err != nil {
			if errors.Is(err, connectors.ErrNotFound) {
				log.Info("already gone", zap.String("code", code))
				continue
			}
			return fmt.Errorf("remove account type %q: %w", code, err)
		}
	}
	return nil
}

// holdings reads, from a fresh listing, every assignment the subject holds:
// code → status as the server wrote it.
func (a *Adapter) holdings(ctx context.Context, subject string) (map[string]string, error) {
	l, err := a.client.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("find the account types of %s: %w", subject, err)
	}
	a.learn(l)
	out := map[string]string{}
	for _, as := range l.Assignments {
		if as.SubjectID == subject && as.Code != "" {
			out[as.Code] = as.Status
		}
	}
	return out, nil
}

// managedOf returns the codes orgbridge manages among codes, sorted.
func (a *Adapter) managedOf(codes []string) []string {
	var out []string
	for _, c := range codes {
		if a.isManaged(c) && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

// handMadeOf returns the codes the subject holds outside
// managed_account_types: from the last listing, or a fresh one when the
// subject was not in it. None when every code is managed.
func (a *Adapter) handMadeOf(ctx context.Context, subject string) ([]string, error) {
	if a.managed == nil {
		return nil, nil
	}
	a.mu.Lock()
	codes, listed := a.handMade[subject]
	a.mu.Unlock()
	if listed {
		return codes, nil
	}
	h, err := a.holdings(ctx, subject)
	if err != nil {
		return nil, err
	}
	for code := range h {
		if !a.isManaged(code) {
			codes = append(codes, code)
		}
	}
	slices.Sort(codes)
	return codes, nil
}

// heldByActual returns the managed codes of an actual user (as Read
// reported it, on suspend and delete), or reads them when the change
// carries none; and whether the subject holds anything at all.
func (a *Adapter) heldByActual(ctx context.Context, c connectors.Change) ([]string, bool, error) {
	if c.User != nil {
		if codes := a.managedOf(parseCodes(c.User.Attributes[AttrAccountType])); len(codes) > 0 {
			return codes, true, nil
		}
	}
	h, err := a.holdings(ctx, c.TargetID)
	if err != nil {
		return nil, false, err
	}
	return a.managedOf(slices.Collect(maps.Keys(h))), len(h) > 0, nil
}

func (a *Adapter) putMode() putMode {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.put
}

func (a *Adapter) learnPut(m putMode, log *zap.Logger) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.put != m {
		log.Debug("learned what PUT to a new code does", zap.Int("put_mode", int(m)))
	}
	a.put = m
}

func (a *Adapter) oneCodeEach() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.single
}

// changeCodes makes the subject hold want instead of had (managed codes
// both), the new ones with the status:
//
//   - one code for another, the subject holding nothing else: PUT the new
//     code, which the document says takes "the new account type code", in
//     one call. A server whose PUT only sets the status answers 404 (and is
//     not asked again); one that put the new code beside the old one is
//     told so by the DELETE of the old code that follows (404 when the PUT
//     replaced it, and then that DELETE is not sent again);
//   - otherwise POST the new codes, then DELETE the old ones, so that the
//     subject never goes without access;
//   - on a server that allows one account type per subject (a 409 on a
//     code it did not hold), DELETE first, then POST, and give the old
//     codes back when the POST fails.
func (a *Adapter) changeCodes(ctx context.Context, subject string, had, want []string, suspended bool, log *zap.Logger) error {
	var add, drop []string
	for _, code := range want {
		if !slices.Contains(had, code) {
			add = append(add, code)
		}
	}
	for _, code := range had {
		if !slices.Contains(want, code) {
			drop = append(drop, code)
		}
	}
	if len(add) == 0 && len(drop) == 0 {
		return nil
	}
	if len(add) == 1 && len(drop) == 1 && len(had) == 1 && a.putMode() != putStatusOnly {
		handMade, err := a.handMadeOf(ctx, subject)
		if err != nil {
			return err
		}
		// A PUT that replaces would take hand-made codes with it.
		if len(handMade) == 0 {
			done, err := a.replace(ctx, subject, drop[0], add[0], suspended, log)
			if done || err != nil {
				return err
			}
		}
	}
	if !a.oneCodeEach() {
		err := a.assign(ctx, subject, add, suspended, log)
		var second *secondCodeError
		switch {
		case errors.As(err, &second) && len(drop) > 0:
			a.mu.Lock()
			a.single = true
			a.mu.Unlock()
			log.Info("the server allows one account type per subject: removing the old one before assigning the new", zap.Error(err))
		case err != nil:
			return err
		default:
			return a.revoke(ctx, subject, drop, log)
		}
	}
	if err := a.revoke(ctx, subject, drop, log); err != nil {
		return err
	}
	if err := a.assign(ctx, subject, add, suspended, log); err != nil {
		if len(drop) == 0 {
			return err
		}
		if rerr := a.assign(ctx, subject, drop, suspended, log); rerr != nil {
			return fmt.Errorf("%w; giving back account type %s failed too: %v", err, strings.Join(drop, ","), rerr)
		}
		return fmt.Errorf("%w (account type %s given back)", err, strings.Join(drop, ","))
	}
	return nil
}

// replace PUTs the code to in place of from, with the status. It reports
// false, having written nothing, when the server's PUT only sets statuses
// (404), or creates beside but allows one account type per subject (409).
func (a *Adapter) replace(ctx context.Context, subject, from, to string, suspended bool, log *zap.Logger) (bool, error) {
	_, err := a.client.SetStatus(ctx, subject, to, a.statusValue(suspended))
	switch {
	case errors.Is(err, connectors.ErrNotFound):
		a.learnPut(putStatusOnly, log)
		return false, nil
	case errors.Is(err, connectors.ErrConflict):
		// A PUT that creates (as POST does) on a server that allows one
		// account type per subject: PUT cannot replace here either.
		a.learnPut(putStatusOnly, log)
		return false, nil
	case err != nil:
		return true, a.statusError(subject, to, suspended, err)
	case a.putMode() == putReplaces:
		return true, nil
	}
	err = a.client.Unassign(ctx, subject, from)
	switch {
	case errors.Is(err, connectors.ErrNotFound):
		a.learnPut(putReplaces, log)
	case err == nil:
		a.learnPut(putAdds, log)
	default:
		return true, fmt.Errorf("remove account type %q after PUT of %q: %w", from, to, err)
	}
	return true, nil
}

// create assigns the user's account types to its login id, the subjectId.
func (a *Adapter) create(ctx context.Context, c connectors.Change, _ connectors.IDs, log *zap.Logger) (connectors.Result, error) {
	u := c.User
	if u.LoginID == "" {
		return connectors.Result{}, errors.New("login_id: required: it is the subjectId of the user's assignments")
	}
	codes, _ := a.codesOf(u)
	if err := a.checkCodes(codes); err != nil {
		return connectors.Result{}, err
	}
	if err := a.assign(ctx, u.LoginID, codes, u.Suspended, log); err != nil {
		return connectors.Result{}, err
	}
	return connectors.Result{TargetID: u.LoginID}, nil
}

// The fields a diff may name: those the adapter writes (by the name
// update knows them by), and those the API does not keep, with what to do
// about it.
var (
	writable = map[change.Field]string{
		change.FieldSuspended:        "suspended",
		change.Attr(AttrAccountType): AttrAccountType,
		change.FieldLoginID:          "login_id",
	}
	notKept = map[change.Field]string{
		change.FieldName:  "the directory keeps no name (Read reports the subjectId as the name): map users.name to the same template as users.login_id",
		change.FieldEmail: "the directory keeps no email: leave users.email unmapped",
	}
)

// diffFields returns the writable fields a diff names, each with its old
// value, or an error naming a field the API does not keep. Nothing is
// written when any field is refused.
func diffFields(diff []connectors.FieldChange) (map[string]string, error) {
	out := map[string]string{}
	var refused []string
	for _, d := range diff {
		if f, ok := writable[d.Field]; ok {
			out[f] = d.Old
			continue
		}
		if why, ok := notKept[d.Field]; ok {
			refused = append(refused, fmt.Sprintf("field %q: %s", d.Field, why))
			continue
		}
		refused = append(refused, fmt.Sprintf("field %q is not a directory field (it keeps subjectId, account type and status)", d.Field))
	}
	if len(refused) > 0 {
		return nil, errors.New(strings.Join(refused, "; "))
	}
	return out, nil
}

// update writes the fields the diff names; with no diff, every field. An
// account type change goes through changeCodes (one PUT where the server
// takes it); a login id change moves the managed assignments to the new
// subject. Codes outside managed_account_types are never written.
func (a *Adapter) update(ctx context.Context, c connectors.Change, _ connectors.IDs, log *zap.Logger) (connectors.Result, error) {
	u := c.User
	fields, err := diffFields(c.Diff)
	if err != nil {
		return connectors.Result{}, err
	}
	full := len(c.Diff) == 0
	subject := c.TargetID
	want, mapped := a.codesOf(u)

	var had []string
	oldTypes, typeChanged := fields[AttrAccountType]
	switch {
	case full || !mapped || (typeChanged && len(parseCodes(oldTypes)) == 0):
		h, err := a.holdings(ctx, subject)
		if err != nil {
			return connectors.Result{}, err
		}
		if len(h) == 0 {
			return connectors.Result{}, fmt.Errorf("subject %s holds no account type in organization %s: %w",
				subject, a.client.OrganizationID(), connectors.ErrNotFound)
		}
		had = a.managedOf(slices.Collect(maps.Keys(h)))
	case typeChanged:
		had = a.managedOf(parseCodes(oldTypes))
	default:
		had = want // unchanged
	}
	if !mapped {
		want = had // account_type is not synced: keep what the subject holds
	}
	if len(want) > 0 {
		if err := a.checkCodes(want); err != nil {
			return connectors.Result{}, err
		}
	}

	_, moved := fields["login_id"]
	if (moved || full) && u.LoginID != "" && u.LoginID != subject {
		// The new subject first, so that a failure leaves the old one
		// whole; the next run then finds both and finishes.
		if err := a.assign(ctx, u.LoginID, want, u.Suspended, log); err != nil {
			return connectors.Result{}, fmt.Errorf("move to subject %s: %w", u.LoginID, err)
		}
		if err := a.revoke(ctx, subject, had, log); err != nil {
			return connectors.Result{TargetID: u.LoginID}, fmt.Errorf("moved to subject %s, but: %w", u.LoginID, err)
		}
		return connectors.Result{TargetID: u.LoginID}, nil
	}

	if err := a.changeCodes(ctx, subject, had, want, u.Suspended, log); err != nil {
		return connectors.Result{}, err
	}
	if _, statusChanged := fields["suspended"]; statusChanged || full {
		for _, code := range want {
			if !slices.Contains(had, code) {
				continue // assigned just now, with the status
			}
			if err := a.setStatus(ctx, subject, code, u.Suspended); err != nil {
				return connectors.Result{}, err
			}
		}
	}
	return connectors.Result{TargetID: subject}, nil
}

// suspend sets every managed assignment of the subject to suspended. Codes
// given by hand (outside managed_account_types) are left as they are, and
// the log says the subject keeps them; a subject that holds nothing else
// fails the change, since orgbridge cannot withhold its access.
func (a *Adapter) suspend(ctx context.Context, c connectors.Change, _ connectors.IDs, log *zap.Logger) (connectors.Result, error) {
	codes, holds, err := a.heldByActual(ctx, c)
	if err != nil {
		return connectors.Result{}, err
	}
	handMade, err := a.handMadeOf(ctx, c.TargetID)
	if err != nil {
		return connectors.Result{}, err
	}
	switch {
	case len(codes) == 0 && len(handMade) > 0:
		return connectors.Result{}, fmt.Errorf("subject %s holds only account types orgbridge does not manage (%s), which it leaves "+
			"as they are: suspend them by hand, or name them in directory.managed_account_types", c.TargetID, strings.Join(handMade, ", "))
	case len(codes) == 0 && !holds:
		log.Info("already gone")
	case len(handMade) > 0:
		log.Warn("suspended user keeps account types orgbridge does not manage", zap.Strings("codes", handMade))
	}
	for _, code := range codes {
		if err := a.setStatus(ctx, c.TargetID, code, true); err != nil {
			if errors.Is(err, connectors.ErrNotFound) {
				log.Info("already gone", zap.String("code", code))
				continue
			}
			return connectors.Result{}, err
		}
	}
	return connectors.Result{TargetID: c.TargetID}, nil
}

// remove deletes every managed assignment of the subject; a subject that
// holds none is already gone. Hand-made codes stay.
func (a *Adapter) remove(ctx context.Context, c connectors.Change, _ connectors.IDs, log *zap.Logger) (connectors.Result, error) {
	codes, _, err := a.heldByActual(ctx, c)
	if err != nil {
		return connectors.Result{}, err
	}
	if len(codes) == 0 {
		log.Info("already gone")
	}
	if handMade, err := a.handMadeOf(ctx, c.TargetID); err == nil && len(handMade) > 0 {
		log.Warn("deleted user keeps account types orgbridge does not manage", zap.Strings("codes", handMade))
	}
	return connectors.Result{TargetID: c.TargetID}, a.revoke(ctx, c.TargetID, codes, log)
}
