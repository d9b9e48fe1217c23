package testsrv

import (
	"errors"
	"fmt"
	"testing"
)

// fakeTB records what Fatalf and Skipf would do and stops the caller as
// they would.
type fakeTB struct {
	testing.TB
	fatal, skip string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	panic("fatal")
}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skip = fmt.Sprintf(format, args...)
	panic("skip")
}

func TestRequire(t *testing.T) {
	err := errors.New("slapd not found")
	tests := []struct {
		name      string
		err       error
		ci        bool
		fatal     string
		skip      string
		wantPanic bool
	}{
		{"available", nil, true, "", "", false},
		{"missing", err, false, "", "slapd not found", true},
		{"missing under CI", err, true, "slapd not found (CI is set: LDAP tests must not be skipped)", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ft := &fakeTB{TB: t}
			stopped := func() (stopped bool) {
				defer func() { stopped = recover() != nil }()
				require(ft, tt.err, "LDAP", tt.ci)
				return false
			}()
			if stopped != tt.wantPanic || ft.fatal != tt.fatal || ft.skip != tt.skip {
				t.Errorf("stopped %v, fatal %q, skip %q; want %v, %q, %q", stopped, ft.fatal, ft.skip, tt.wantPanic, tt.fatal, tt.skip)
			}
		})
	}
}

func TestInCI(t *testing.T) {
	for v, want := range map[string]bool{"true": true, "1": true, "false": false, "": false, "yes": false} {
		t.Setenv("CI", v)
		if InCI() != want {
			t.Errorf("CI=%q: InCI %v", v, !want)
		}
	}
}

func TestLastLines(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"a\nb\nc\n", 3, "a\nb\nc"},
		{"a\nb\nc\n", 2, "...\nb\nc"},
		{"\n  one  \n\n", 1, "one"},
	}
	for _, tt := range tests {
		if got := LastLines(tt.in, tt.n); got != tt.want {
			t.Errorf("LastLines(%q, %d) = %q; want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestOnFreePorts(t *testing.T) {
	t.Run("retries a taken port", func(t *testing.T) {
		calls := 0
		err := OnFreePorts(2, func(ports []int) error {
			calls++
			if len(ports) != 2 || ports[0] <= 0 || ports[1] <= 0 {
				t.Errorf("ports %v: want two kernel-picked ports", ports)
			}
			if calls < 3 {
				return fmt.Errorf("postgres: %w", ErrAddrInUse)
			}
			return nil
		})
		if err != nil || calls != 3 {
			t.Errorf("OnFreePorts = %v after %d calls; want nil after 3", err, calls)
		}
	})
	t.Run("gives up", func(t *testing.T) {
		calls := 0
		err := OnFreePorts(1, func([]int) error { calls++; return ErrAddrInUse })
		if !errors.Is(err, ErrAddrInUse) || calls != startAttempts {
			t.Errorf("OnFreePorts = %v after %d calls; want ErrAddrInUse after %d", err, calls, startAttempts)
		}
	})
	t.Run("other errors end it", func(t *testing.T) {
		calls := 0
		boom := errors.New("boom")
		err := OnFreePorts(1, func([]int) error { calls++; return boom })
		if !errors.Is(err, boom) || calls != 1 {
			t.Errorf("OnFreePorts = %v after %d calls; want boom after 1", err, calls)
		}
	})
}
