// Package httpkittest holds test helpers for HTTP target adapters: an
// assertion that no secret leaks into errors or logs, a fake clock for
// httpkit.Pacer and httpkit.TokenSource (and an emulator's Now), and an
// observed zap logger whose output can be searched.
package httpkittest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// AssertNoSecret fails t if secret, in raw, URL-encoded, JSON-escaped or
// base64 form, occurs in any of texts (error strings, log output, dumps).
// The failure message never repeats the secret.
func AssertNoSecret(t testing.TB, secret string, texts ...string) {
	t.Helper()
	if secret == "" {
		t.Fatal("AssertNoSecret: empty secret: the assertion would prove nothing")
	}
	forms := map[string]string{"raw": secret}
	if q := url.QueryEscape(secret); q != secret {
		forms["url-encoded"] = q
	}
	if b, err := json.Marshal(secret); err == nil {
		if j := string(b[1 : len(b)-1]); j != secret {
			forms["json-escaped"] = j
		}
	}
	forms["base64"] = base64.StdEncoding.EncodeToString([]byte(secret))
	names := make([]string, 0, len(forms))
	for name := range forms {
		names = append(names, name)
	}
	sort.Strings(names)
	for i, text := range texts {
		for _, name := range names {
			if at := strings.Index(text, forms[name]); at >= 0 {
				t.Errorf("secret (%s) found in text %d at byte %d", name, i, at)
			}
		}
	}
}

// ObservedLogger returns a debug-level logger that keeps every entry, and
// the entries.
func ObservedLogger() (*zap.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(zapcore.DebugLevel)
	return zap.New(core), logs
}

// LogText renders every observed entry with its fields, one per line, for
// AssertNoSecret and for failure messages.
func LogText(logs *observer.ObservedLogs) string {
	var b strings.Builder
	for _, e := range logs.All() {
		fmt.Fprintf(&b, "%s %s", e.Level, e.Message)
		ctx := e.ContextMap()
		keys := make([]string, 0, len(ctx))
		for k := range ctx {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, " %s=%v", k, ctx[k])
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// FakeClock is a clock whose Sleep returns at once, moving the clock
// forward. It implements httpkit.Clock; pass its Now to an emulator so that
// both sides share one time line.
//
// Time only moves forward, and concurrent sleepers add up (two goroutines
// sleeping 30s leave the clock 60s later): a paced test then waits longer in
// fake time than it would in real time, never less.
type FakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps int
	slept  time.Duration
}

// NewFakeClock starts a fake clock at start (the zero time: 2025-04-01
// 09:00 JST).
func NewFakeClock(start time.Time) *FakeClock {
	if start.IsZero() {
		start = time.Date(2025, 4, 1, 9, 0, 0, 0, time.FixedZone("JST", 9*3600))
	}
	return &FakeClock{now: start}
}

// Now returns the fake time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep advances the clock by d (see FakeClock) unless ctx has ended.
func (c *FakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	if d > 0 {
		c.now = c.now.Add(d)
		c.sleeps++
		c.slept += d
	}
	c.mu.Unlock()
	return ctx.Err()
}

// Advance moves the clock forward by d.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Sleeps returns how many times Sleep waited and the total it was asked to
// wait.
func (c *FakeClock) Sleeps() (int, time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sleeps, c.slept
}
