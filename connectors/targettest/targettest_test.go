package targettest_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/orgbridge/orgbridge/connectors"
	"github.com/orgbridge/orgbridge/connectors/targettest"
	"github.com/orgbridge/orgbridge/mapping"
)

// fake is an in-memory target of users only, with two faults a real target
// may have.
type fake struct {
	// dropName: the target keeps no user name; Read reports the login id
	// as the name (as the directory target does).
	dropName bool
	// doubleCreates: while faults are on (always, with doubleAlways), the
	// first create of each user is applied twice (an adapter that repeats
	// a POST the server applied).
	doubleCreates, doubleAlways bool

	mu      sync.Mutex
	faults  bool
	next    int
	users   map[string]mapping.User // by id
	doubled map[string]bool         // by the change's key
}

func (f *fake) Capabilities() connectors.Capabilities {
	return connectors.Capabilities{Users: true, CreatesUsers: true, SuspendsUsers: true}
}

func (f *fake) Read(context.Context) (*mapping.Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := &mapping.Snapshot{}
	for _, u := range f.users {
		u.Attributes = maps.Clone(u.Attributes)
		if f.dropName {
			u.Name = u.LoginID
		}
		s.Users = append(s.Users, u)
	}
	return s, nil
}

func (f *fake) Apply(_ context.Context, c connectors.Change, _ connectors.IDs) (connectors.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c.Kind != mapping.KindUser || c.User == nil {
		return connectors.Result{}, fmt.Errorf("fake: %s %s: users only", c.Action, c.Kind)
	}
	u := *c.User
	u.Attributes = maps.Clone(u.Attributes)
	switch c.Action {
	case connectors.ActionCreate:
		times := 1
		if f.doubleCreates && (f.faults || f.doubleAlways) && !f.doubled[c.Key] {
			f.doubled[c.Key] = true
			times = 2
		}
		var id string
		for range times {
			f.next++
			id = fmt.Sprintf("u%d", f.next)
			u.Key = id
			f.users[id] = u
		}
		return connectors.Result{TargetID: id}, nil
	case connectors.ActionUpdate, connectors.ActionSuspend, connectors.ActionDelete:
		old, ok := f.users[c.TargetID]
		if !ok {
			return connectors.Result{}, fmt.Errorf("fake: user %s: %w", c.TargetID, connectors.ErrNotFound)
		}
		switch c.Action {
		case connectors.ActionUpdate:
			u.Key = c.TargetID
			f.users[c.TargetID] = u
		case connectors.ActionSuspend:
			old.Suspended = true
			f.users[c.TargetID] = old
		default:
			delete(f.users, c.TargetID)
		}
		return connectors.Result{TargetID: c.TargetID}, nil
	}
	return connectors.Result{}, errors.New("fake: unknown action")
}

func harness(f *fake, unsupported ...targettest.Field) func(*testing.T, targettest.Options) *targettest.Harness {
	return func(*testing.T, targettest.Options) *targettest.Harness {
		t := &fake{dropName: f.dropName, doubleCreates: f.doubleCreates, doubleAlways: f.doubleAlways,
			users: map[string]mapping.User{}, doubled: map[string]bool{}}
		return &targettest.Harness{
			Target: t,
			Faults: func(rate429, rate5xx float64) {
				t.mu.Lock()
				defer t.mu.Unlock()
				t.faults = rate429 > 0 || rate5xx > 0
			},
			UserAttributes:        map[string]string{"dept": "営業"},
			UpdatedUserAttributes: map[string]string{"dept": "開発"},
			Unsupported:           unsupported,
		}
	}
}

func TestRunPasses(t *testing.T) {
	t.Run("names kept", func(t *testing.T) {
		targettest.Run(t, harness(&fake{}))
	})
	t.Run("names not kept, UserName unsupported", func(t *testing.T) {
		targettest.Run(t, harness(&fake{dropName: true}, targettest.UserName))
	})
	t.Run("only suspension kept", func(t *testing.T) {
		targettest.Run(t, harness(&fake{dropName: true}, targettest.UserName, targettest.UserLoginID, targettest.UserEmail))
	})
}

// failing are targets the suite must fail, each with what its output must
// say. TestRunFails runs each in a child process (a failing subtest would
// fail this test).
var failing = map[string]struct {
	f           *fake
	unsupported []targettest.Field
	want        string
}{
	"dropped_name": {&fake{dropName: true}, nil, "Read does not match what was written"},
	"duplicate_by_name": {&fake{doubleCreates: true}, nil,
		"with name"},
	"duplicate_by_login_id": {&fake{dropName: true, doubleCreates: true}, []targettest.Field{targettest.UserName},
		"with login_id"},
	"duplicate_by_email": {&fake{dropName: true, doubleCreates: true}, []targettest.Field{targettest.UserName, targettest.UserLoginID},
		"with email"},
	"duplicate_read_by_name": {&fake{doubleCreates: true, doubleAlways: true}, nil,
		`has the name "山田 太郎" of user yamada`},
	"duplicate_read_by_login_id": {&fake{dropName: true, doubleCreates: true, doubleAlways: true}, []targettest.Field{targettest.UserName},
		`has the login_id "yamada" of user yamada`},
	"duplicate_unidentified": {&fake{dropName: true, doubleCreates: true},
		[]targettest.Field{targettest.UserName, targettest.UserLoginID, targettest.UserEmail},
		"a create applied twice"},
}

const childEnv = "TARGETTEST_FAILING_CASE"

func TestRunFails(t *testing.T) {
	if name := os.Getenv(childEnv); name != "" {
		c := failing[name]
		targettest.Run(t, harness(c.f, c.unsupported...))
		return
	}
	for name, c := range failing {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestRunFails$", "-test.v")
			cmd.Env = append(os.Environ(), childEnv+"="+name)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("the suite passed (or did not run: %v); want a failure saying %q:\n%s", err, c.want, out)
			}
			if !strings.Contains(string(out), c.want) {
				t.Errorf("the suite failed without saying %q:\n%s", c.want, out)
			}
		})
	}
}
