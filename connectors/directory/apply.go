package directory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/mapping"
)

// Apply makes one change to a user (see "Writing" in the package doc).
// Errors name the change and wrap the API's: *connectors.FieldError for a
// 422 or an unknown account type, connectors.ErrConflict, a TransientError
// for what may succeed later.
func (a *Adapter) Apply(ctx context.Context, c connectors.Change, _ connectors.IDs) (connectors.Result, error) {
	log := a.logger.With(
		zap.String("kind", string(c.Kind)), zap.String("action", string(c.Action)),
		zap.String("key", c.Key), zap.String("target_id", c.TargetID))
	var (
		res connectors.Result
		err error
	)
	switch {
	case c.Kind != mapping.KindUser:
		err = fmt.Errorf("kind %q: the directory holds only users (account-type assignments)", c.Kind)
	case c.Action == connectors.ActionCreate:
		res, err = a.create(ctx, c, log)
	case c.Action == connectors.ActionUpdate:
		res, err = a.update(ctx, c, log)
	case c.Action == connectors.ActionSuspend:
		res, err = a.suspend(ctx, c, log)
	case c.Action == connectors.ActionDelete:
		res, err = a.remove(ctx, c, log)
	default:
		err = fmt.Errorf("action %q is not supported for a user", c.Action)
	}
	if err != nil {
		log.Warn("apply failed", zap.Error(err), zap.Bool("transient", connectors.IsTransient(err)))
		return res, fmt.Errorf("directory: %s %s %s: %w", c.Action, c.Kind, c.Key, err)
	}
	log.Debug("applied", zap.String("result_id", res.TargetID))
	return res, nil
}

func statusOf(suspended bool) string {
	if suspended {
		return StatusSuspended
	}
	return StatusActive
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

// checkCodes refuses, before any write, a code that the organization's
// last listing did not name, so that a typo does not cost a user the
// account type it holds.
func (a *Adapter) checkCodes(codes []string) error {
	a.mu.Lock()
	known := a.known
	a.mu.Unlock()
	if known == nil {
		return nil
	}
	for _, c := range codes {
		if !known[c] {
			names := make([]string, 0, len(known))
			for k := range known {
				names = append(names, k)
			}
			slices.Sort(names)
			msg := fmt.Sprintf("account type %q is not one of the organization's (%s)", c, strings.Join(names, ", "))
			return &connectors.FieldError{Message: msg, Fields: map[string][]string{"code": {msg}}}
		}
	}
	return nil
}

// grant assigns each code to the subject with the status: a new
// assignment is active, so it is suspended after when it must be; one that
// already exists (409) gets the status set, which also proves it is there.
func (a *Adapter) grant(ctx context.Context, subject string, codes []string, suspended bool, log *zap.Logger) error {
	for _, code := range codes {
		_, err := a.client.Assign(ctx, subject, code)
		switch {
		case err == nil:
			if !suspended {
				continue
			}
		case errors.Is(err, connectors.ErrConflict):
			log.Info("already assigned", zap.String("code", code))
		default:
			return fmt.Errorf("assign account type %q: %w", code, err)
		}
		if _, err := a.client.SetStatus(ctx, subject, code, statusOf(suspended)); err != nil {
			return fmt.Errorf("set status of account type %q: %w", code, err)
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

// held returns the codes the subject holds now, reading the organization.
func (a *Adapter) held(ctx context.Context, subject string) ([]string, error) {
	l, err := a.client.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("find the account types of %s: %w", subject, err)
	}
	a.learn(l)
	var codes []string
	for _, as := range l.Assignments {
		if as.SubjectID == subject && as.Code != "" && !slices.Contains(codes, as.Code) {
			codes = append(codes, as.Code)
		}
	}
	slices.Sort(codes)
	return codes, nil
}

// heldByActual returns the codes of an actual user (as Read reported it,
// on suspend and delete), or reads them when the change carries none.
func (a *Adapter) heldByActual(ctx context.Context, c connectors.Change) ([]string, error) {
	if c.User != nil {
		if codes := parseCodes(c.User.Attributes[AttrAccountType]); len(codes) > 0 {
			return codes, nil
		}
	}
	return a.held(ctx, c.TargetID)
}

// create assigns the user's account types to its login id, the subjectId.
func (a *Adapter) create(ctx context.Context, c connectors.Change, log *zap.Logger) (connectors.Result, error) {
	u := c.User
	if u == nil {
		return connectors.Result{}, errors.New("change carries no user")
	}
	if u.LoginID == "" {
		return connectors.Result{}, errors.New("login_id: required: it is the subjectId of the user's assignments")
	}
	codes, _ := a.codesOf(u)
	if err := a.checkCodes(codes); err != nil {
		return connectors.Result{}, err
	}
	if err := a.grant(ctx, u.LoginID, codes, u.Suspended, log); err != nil {
		return connectors.Result{}, err
	}
	return connectors.Result{TargetID: u.LoginID}, nil
}

// Fields of a diff, normalised (lower case, no "_", "-", "." or
// "attributes." prefix): those the adapter writes, and those the API does
// not keep, with what to do about it.
var (
	writable = map[string]string{
		"suspended": "suspended", "issuspended": "suspended", "status": "suspended",
		"accounttype": AttrAccountType, "code": AttrAccountType,
		"loginid": "login_id", "login": "login_id", "subjectid": "login_id",
	}
	notKept = map[string]string{
		"name":        "the directory keeps no name (Read reports the subjectId as the name): map users.name to the same template as users.login_id",
		"displayname": "the directory keeps no name (Read reports the subjectId as the name): map users.name to the same template as users.login_id",
		"email":       "the directory keeps no email: leave users.email unmapped",
		"mail":        "the directory keeps no email: leave users.email unmapped",
	}
)

func normField(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, p := range []string{"attributes.", "attributes[", "attrs.", "attr."} {
		s = strings.TrimPrefix(s, p)
	}
	return strings.NewReplacer("_", "", "-", "", ".", "", "]", "", "\"", "", "'", "").Replace(s)
}

// diffFields returns the writable fields a diff names, each with its old
// value, or an error naming a field the API does not keep. Nothing is
// written when any field is refused.
func diffFields(diff []connectors.FieldChange) (map[string]string, error) {
	out := map[string]string{}
	var refused []string
	for _, d := range diff {
		n := normField(d.Field)
		if f, ok := writable[n]; ok {
			out[f] = d.Old
			continue
		}
		if why, ok := notKept[n]; ok {
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
// account type change removes the codes no longer wanted before it assigns
// the new ones (the path holds the code and PUT changes only the status,
// and a server may allow one code per subject); a login id change moves
// the assignments to the new subject.
func (a *Adapter) update(ctx context.Context, c connectors.Change, log *zap.Logger) (connectors.Result, error) {
	u := c.User
	if u == nil {
		return connectors.Result{}, errors.New("change carries no user")
	}
	if err := c.NeedTargetID(); err != nil {
		return connectors.Result{}, err
	}
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
		if had, err = a.held(ctx, subject); err != nil {
			return connectors.Result{}, err
		}
		if len(had) == 0 {
			return connectors.Result{}, fmt.Errorf("subject %s holds no account type in organization %s: %w",
				subject, a.client.OrganizationID(), connectors.ErrNotFound)
		}
	case typeChanged:
		had = parseCodes(oldTypes)
	default:
		had = want // unchanged
	}
	if !mapped {
		want = had // account_type is not synced: keep what the subject holds
	}
	if err := a.checkCodes(want); err != nil {
		return connectors.Result{}, err
	}

	_, moved := fields["login_id"]
	if (moved || full) && u.LoginID != "" && u.LoginID != subject {
		// The new subject first, so that a failure leaves the old one
		// whole; the next run then finds both and finishes.
		if err := a.grant(ctx, u.LoginID, want, u.Suspended, log); err != nil {
			return connectors.Result{}, fmt.Errorf("move to subject %s: %w", u.LoginID, err)
		}
		if err := a.revoke(ctx, subject, had, log); err != nil {
			return connectors.Result{TargetID: u.LoginID}, fmt.Errorf("moved to subject %s, but: %w", u.LoginID, err)
		}
		return connectors.Result{TargetID: u.LoginID}, nil
	}

	var add, keep, drop []string
	for _, code := range want {
		if slices.Contains(had, code) {
			keep = append(keep, code)
		} else {
			add = append(add, code)
		}
	}
	for _, code := range had {
		if !slices.Contains(want, code) {
			drop = append(drop, code)
		}
	}
	if err := a.revoke(ctx, subject, drop, log); err != nil {
		return connectors.Result{}, err
	}
	if err := a.grant(ctx, subject, add, u.Suspended, log); err != nil {
		return connectors.Result{}, err
	}
	if _, statusChanged := fields["suspended"]; statusChanged || full {
		if err := a.setStatus(ctx, subject, keep, u.Suspended); err != nil {
			return connectors.Result{}, err
		}
	}
	return connectors.Result{TargetID: subject}, nil
}

func (a *Adapter) setStatus(ctx context.Context, subject string, codes []string, suspended bool) error {
	for _, code := range codes {
		if _, err := a.client.SetStatus(ctx, subject, code, statusOf(suspended)); err != nil {
			return fmt.Errorf("set status of account type %q: %w", code, err)
		}
	}
	return nil
}

// suspend sets every assignment of the subject to suspended.
func (a *Adapter) suspend(ctx context.Context, c connectors.Change, log *zap.Logger) (connectors.Result, error) {
	if err := c.NeedTargetID(); err != nil {
		return connectors.Result{}, err
	}
	codes, err := a.heldByActual(ctx, c)
	if err != nil {
		return connectors.Result{}, err
	}
	for _, code := range codes {
		if _, err := a.client.SetStatus(ctx, c.TargetID, code, StatusSuspended); err != nil {
			if errors.Is(err, connectors.ErrNotFound) {
				log.Info("already gone", zap.String("code", code))
				continue
			}
			return connectors.Result{}, fmt.Errorf("suspend account type %q: %w", code, err)
		}
	}
	return connectors.Result{TargetID: c.TargetID}, nil
}

// remove deletes every assignment of the subject; a subject that holds
// none is already gone.
func (a *Adapter) remove(ctx context.Context, c connectors.Change, log *zap.Logger) (connectors.Result, error) {
	if err := c.NeedTargetID(); err != nil {
		return connectors.Result{}, err
	}
	codes, err := a.heldByActual(ctx, c)
	if err != nil {
		return connectors.Result{}, err
	}
	if len(codes) == 0 {
		log.Info("already gone")
	}
	return connectors.Result{TargetID: c.TargetID}, a.revoke(ctx, c.TargetID, codes, log)
}
