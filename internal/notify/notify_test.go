package notify_test

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/orgbridge/orgbridge/internal/golden"
	"github.com/orgbridge/orgbridge/internal/notify"
	"github.com/orgbridge/orgbridge/internal/notify/smtptest"
)

var update = flag.Bool("update", false, "rewrite the testdata golden files")

var at = time.Date(2025, 4, 1, 2, 30, 0, 0, time.UTC)

const statusURL = "https://orgbridge.example.com/"

// events are one of each kind, as the daemon makes them.
func events() []notify.Event {
	evs := []notify.Event{
		notify.PlanHeld("hr-to-aircourse", 12, "0 to create, 0 to update, 9 to suspend, 0 to delete", "9 suspends of user exceed 5% of the 26 managed"),
		notify.Quarantined("hr-to-aircourse", "1 run(s) in a row failed (100% of the last run's changes failed): read target: 503 Service Unavailable", at.Add(5*time.Minute)),
		notify.Recovered("hr-to-aircourse"),
		notify.RunFailed("ad-to-tenantadmin", 40, "3 of 120 changes failed"),
		notify.HeldBack("scim-to-aircourse", 3, []string{"user 2c9a: name: required value is empty", "user 77f0: email: also the e-mail of user 81aa"}),
	}
	for i := range evs {
		evs[i].At = at
	}
	return evs
}

// Each event's text: the subject, its details, the status page's link.
func TestEventText(t *testing.T) {
	for _, ev := range events() {
		t.Run(string(ev.Kind), func(t *testing.T) {
			golden.Check(t, filepath.Join("testdata", "text", string(ev.Kind)+".txt"), ev.Text(statusURL), *update)
		})
	}
}

// hook is an httptest webhook that keeps what it receives and answers
// with the statuses queued in fail (then 204).
type hook struct {
	mu     sync.Mutex
	bodies []string
	fail   []int
	srv    *httptest.Server
}

func newHook(t *testing.T, fail ...int) *hook {
	h := &hook{fail: fail}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || r.URL.Path != "/hooks/T0001/B0002/s3cretPathPart" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		h.bodies = append(h.bodies, string(b))
		if len(h.fail) > 0 {
			code := h.fail[0]
			h.fail = h.fail[1:]
			w.WriteHeader(code)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hook) url() string { return h.srv.URL + "/hooks/T0001/B0002/s3cretPathPart" }

func (h *hook) received() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.bodies...)
}

// The JSON form carries the event's fields; the text form is Slack's and
// Teams' {"text": ...}.
func TestWebhookForms(t *testing.T) {
	for _, format := range []string{notify.FormatJSON, notify.FormatText} {
		for _, ev := range events()[:2] {
			t.Run(format+"/"+string(ev.Kind), func(t *testing.T) {
				h := newHook(t)
				n := notify.New(notify.Options{StatusURL: statusURL, Sinks: []notify.Sink{&notify.Webhook{SinkName: "webhooks[0]", URL: h.url(), Format: format}}})
				if err := n.Send(context.Background(), ev); err != nil {
					t.Fatal(err)
				}
				got := h.received()
				if len(got) != 1 {
					t.Fatalf("%d requests, want 1", len(got))
				}
				var v map[string]any
				if err := json.Unmarshal([]byte(got[0]), &v); err != nil {
					t.Fatalf("not JSON: %v: %s", err, got[0])
				}
				if !strings.Contains(v["text"].(string), "job "+ev.Job+": ") || !strings.Contains(v["text"].(string), statusURL) {
					t.Errorf("text %q does not name the job and link the status page", v["text"])
				}
				if format == notify.FormatText && len(v) != 1 {
					t.Errorf("the text form has keys besides text: %v", v)
				}
				var pretty strings.Builder
				enc := json.NewEncoder(&pretty)
				enc.SetIndent("", "  ")
				_ = enc.Encode(v)
				golden.Check(t, filepath.Join("testdata", "webhook", format+"-"+string(ev.Kind)+".json"), pretty.String(), *update)
			})
		}
	}
}

// A 5xx or 429 is tried again (up to 3 attempts); a 4xx is not.
func TestWebhookRetries(t *testing.T) {
	tests := []struct {
		name     string
		answers  []int
		requests int
		wantErr  string
	}{
		{"ok", nil, 1, ""},
		{"503 then ok", []int{503}, 2, ""},
		{"429 and 502 then ok", []int{429, 502}, 3, ""},
		{"always 500", []int{500, 500, 500, 500}, 3, "after 3 attempts: POST: 500 Internal Server Error"},
		{"404", []int{404}, 1, "POST: 404 Not Found: not retried"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHook(t, tt.answers...)
			w := &notify.Webhook{SinkName: "webhooks[0]", URL: h.url(), Backoff: time.Millisecond}
			err := w.Send(context.Background(), notify.Message{Event: events()[0], StatusURL: statusURL})
			if got := len(h.received()); got != tt.requests {
				t.Errorf("%d requests, want %d", got, tt.requests)
			}
			if (err == nil) != (tt.wantErr == "") || (err != nil && err.Error() != tt.wantErr) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// The webhook URL is a credential: no log line and no error holds it,
// whether the hook answers 500, 404 or nothing at all.
func TestWebhookURLNeverLogged(t *testing.T) {
	bad := newHook(t, 500, 500, 500, 404)
	gone := newHook(t)
	goneURL := gone.url()
	gone.srv.Close()
	core, logs := observer.New(zap.DebugLevel)
	var errs []string
	for _, u := range []string{bad.url(), bad.url(), goneURL, "http://[::1]:namedport/hooks/T0001/B0002/s3cretPathPart"} {
		n := notify.New(notify.Options{StatusURL: statusURL, Logger: zap.New(core),
			Sinks: []notify.Sink{&notify.Webhook{SinkName: "webhooks[0]", URL: u, Backoff: time.Millisecond, Attempts: 3}}})
		err := n.Send(context.Background(), events()[0])
		if err == nil {
			t.Fatalf("%s: no error", u)
		}
		errs = append(errs, err.Error())
	}
	var all strings.Builder
	for _, e := range logs.All() {
		all.WriteString(e.Message)
		for k, v := range e.ContextMap() {
			all.WriteString(" " + k + "=" + toString(v))
		}
		all.WriteString("\n")
	}
	all.WriteString(strings.Join(errs, "\n"))
	if strings.Contains(all.String(), "s3cretPathPart") || strings.Contains(all.String(), "/hooks/") {
		t.Errorf("the webhook URL leaked:\n%s", all.String())
	}
	if logs.FilterMessage("notification not delivered").Len() != 4 {
		t.Errorf("want 4 warnings naming the sink, got:\n%s", all.String())
	}
	if !strings.Contains(errs[0], "notify webhooks[0]: after 3 attempts: POST: 500") || !strings.Contains(errs[2], "connection refused") {
		t.Errorf("errors do not say what failed: %q", errs)
	}
}

func toString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// One message per kind and job within MinInterval; other jobs and kinds
// are not held up; a recovery always goes out and lets the next
// quarantine through at once.
func TestRateLimit(t *testing.T) {
	now := at
	h := newHook(t)
	var mu sync.Mutex
	counts := map[string]int{}
	n := notify.New(notify.Options{StatusURL: statusURL, MinInterval: 15 * time.Minute, Now: func() time.Time { return now },
		Sinks: []notify.Sink{&notify.Webhook{SinkName: "webhooks[0]", URL: h.url(), Format: notify.FormatText}},
		Observe: func(sink, outcome string) {
			mu.Lock()
			counts[sink+"/"+outcome]++
			mu.Unlock()
		}})
	steps := []struct {
		advance time.Duration
		ev      notify.Event
		sent    bool
	}{
		{0, notify.Quarantined("a", "x", time.Time{}), true},
		{time.Minute, notify.Quarantined("a", "x", time.Time{}), false},
		{0, notify.Quarantined("b", "x", time.Time{}), true},
		{0, notify.RunFailed("a", 3, "x"), true},
		{time.Minute, notify.Recovered("a"), true},
		{0, notify.Recovered("a"), true},
		{0, notify.Quarantined("a", "x", time.Time{}), true},
		{14 * time.Minute, notify.Quarantined("a", "x", time.Time{}), false},
		{time.Minute, notify.Quarantined("a", "x", time.Time{}), true},
	}
	want := 0
	for i, s := range steps {
		now = now.Add(s.advance)
		if err := n.Send(context.Background(), s.ev); err != nil {
			t.Fatal(err)
		}
		if s.sent {
			want++
		}
		if got := len(h.received()); got != want {
			t.Fatalf("step %d (%s %s): %d messages, want %d", i, s.ev.Kind, s.ev.Job, got, want)
		}
	}
	if counts["webhook/sent"] != 7 || counts["webhook/rate_limited"] != 2 {
		t.Errorf("counts = %v", counts)
	}
}

// blocking is a sink that waits for release, to fill the queue.
type blocking struct {
	entered chan string
	release chan struct{}
}

func (b *blocking) Name() string { return "blocking" }
func (b *blocking) Type() string { return "webhook" }
func (b *blocking) Send(ctx context.Context, m notify.Message) error {
	b.entered <- m.Job
	<-b.release
	return nil
}

// Post never blocks: with the worker busy and the queue full, an event is
// dropped and counted; Close delivers what was queued.
func TestPostDropsWhenTheQueueIsFull(t *testing.T) {
	b := &blocking{entered: make(chan string, 10), release: make(chan struct{})}
	var mu sync.Mutex
	counts := map[string]int{}
	core, logs := observer.New(zap.InfoLevel)
	n := notify.New(notify.Options{QueueSize: 1, Sinks: []notify.Sink{b}, Logger: zap.New(core), Observe: func(sink, outcome string) {
		mu.Lock()
		counts[outcome]++
		mu.Unlock()
	}})
	n.Start()
	n.Post(notify.RunFailed("first", 1, "x"))
	if got := <-b.entered; got != "first" {
		t.Fatalf("delivering %q", got)
	}
	n.Post(notify.RunFailed("second", 2, "x")) // queued
	n.Post(notify.RunFailed("third", 3, "x"))  // dropped
	close(b.release)
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := <-b.entered; got != "second" {
		t.Errorf("then delivered %q, want second", got)
	}
	n.Post(notify.RunFailed("late", 4, "x")) // after Close: dropped
	mu.Lock()
	defer mu.Unlock()
	if counts[notify.OutcomeSent] != 2 || counts[notify.OutcomeDropped] != 2 {
		t.Errorf("counts = %v, want 2 sent and 2 dropped", counts)
	}
	if logs.FilterMessage("notification dropped: the queue is full").Len() != 1 {
		t.Error("the drop is not logged")
	}
}

var messageID = regexp.MustCompile(`(?m)^Message-ID:\s+<[^>@]+@ob1.example.com>`)

// A real SMTP server receives the mail over STARTTLS after AUTH PLAIN:
// its headers and body as sent.
func TestEmailThroughSMTP(t *testing.T) {
	srv := smtptest.Start(t)
	mailer := &notify.Email{Host: srv.Host, Port: srv.Port, TLS: notify.TLSStartTLS, RootCAs: srv.Pool,
		Username: smtptest.Username, Password: smtptest.Password, From: "orgbridge@example.com",
		To: []string{"it-ops@example.com", "helpdesk@example.com"}, SubjectPrefix: "[orgbridge]", Hostname: "ob1.example.com"}
	n := notify.New(notify.Options{StatusURL: statusURL, Sinks: []notify.Sink{mailer}})
	for _, ev := range []notify.Event{events()[0], events()[4]} {
		if err := n.Send(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	msgs := srv.Wait(t, 2)
	for i, kind := range []string{"plan_held", "records_held_back"} {
		m := msgs[i]
		if !m.TLS || m.From != "orgbridge@example.com" || strings.Join(m.To, ",") != "it-ops@example.com,helpdesk@example.com" {
			t.Errorf("mail %d: tls=%v from=%q to=%q", i, m.TLS, m.From, m.To)
		}
		if !messageID.MatchString(m.Data) {
			t.Errorf("mail %d has no Message-ID", i)
		}
		golden.Check(t, filepath.Join("testdata", "email", kind+".eml"), strings.ReplaceAll(m.Data, "\r\n", "\n"), *update)
	}
}

// Wrong credentials, no trusted CA, a relay that is not there: each is an
// error that says so, and the password appears in none.
func TestEmailFailures(t *testing.T) {
	srv := smtptest.Start(t)
	base := notify.Email{Host: srv.Host, Port: srv.Port, TLS: notify.TLSStartTLS, RootCAs: srv.Pool,
		Username: smtptest.Username, Password: smtptest.Password, From: "orgbridge@example.com", To: []string{"it-ops@example.com"}}
	tests := []struct {
		name string
		edit func(e *notify.Email)
		want string
	}{
		{"wrong password", func(e *notify.Email) { e.Password = "wrong-password-77" }, "SMTP AUTH failed"},
		{"untrusted certificate", func(e *notify.Email) { e.RootCAs = nil }, "certificate"},
		{"implicit TLS against STARTTLS", func(e *notify.Email) { e.TLS = notify.TLSImplicit }, "dial failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := base
			tt.edit(&e)
			e.Timeout = 10 * time.Second
			err := e.Send(context.Background(), notify.Message{Event: events()[0], StatusURL: statusURL})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one saying %q", err, tt.want)
			}
			if strings.Contains(err.Error(), e.Password) {
				t.Errorf("the error holds the password: %v", err)
			}
		})
	}
	if len(srv.Messages()) != 0 {
		t.Errorf("%d mails accepted", len(srv.Messages()))
	}
	if srv.AuthFailures() != 1 {
		t.Errorf("%d AUTH refusals, want 1", srv.AuthFailures())
	}
}
