package httpkittest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
)

// recorder is a testing.TB that keeps failures instead of reporting them.
type recorder struct {
	testing.TB
	errs  []string
	fatal bool
}

func (r *recorder) Helper()                   {}
func (r *recorder) Errorf(f string, a ...any) { r.errs = append(r.errs, f) }
func (r *recorder) Fatal(a ...any)            { r.fatal = true }

func TestAssertNoSecret(t *testing.T) {
	const secret = "p@ss/word+1"
	for _, tt := range []struct {
		text string
		fail bool
	}{
		{"nothing here", false},
		{"token p@ss/word+1 leaked", true},
		{"client_secret=p%40ss%2Fword%2B1", true},
		{`{"secret":"p@ss\/word+1"}`, false}, // JSON may escape "/"; json.Marshal does not
		{"Basic cEBzcy93b3JkKzE=", true},
	} {
		r := &recorder{TB: t}
		AssertNoSecret(r, secret, "first text", tt.text)
		if got := len(r.errs) > 0; got != tt.fail {
			t.Errorf("AssertNoSecret(%q) failed = %v, want %v", tt.text, got, tt.fail)
		}
		for _, e := range r.errs {
			if strings.Contains(e, secret) {
				t.Errorf("failure message repeats the secret: %s", e)
			}
		}
	}
	r := &recorder{TB: t}
	AssertNoSecret(r, "", "x")
	if !r.fatal {
		t.Error("an empty secret is accepted")
	}
}

func TestFakeClock(t *testing.T) {
	c := NewFakeClock(time.Time{})
	start := c.Now()
	if err := c.Sleep(context.Background(), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Minute)
	if got := c.Now().Sub(start); got != 90*time.Second {
		t.Errorf("elapsed %v, want 1m30s", got)
	}
	if n, d := c.Sleeps(); n != 1 || d != 30*time.Second {
		t.Errorf("Sleeps = %d, %v", n, d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) || c.Now().Sub(start) != 90*time.Second {
		t.Errorf("cancelled Sleep = %v, clock moved to %v", err, c.Now().Sub(start))
	}
}

func TestLogText(t *testing.T) {
	logger, logs := ObservedLogger()
	logger.Info("hello", zap.String("b", "2"), zap.Int("a", 1))
	if got := LogText(logs); got != "info hello a=1 b=2\n" {
		t.Errorf("LogText = %q", got)
	}
}
