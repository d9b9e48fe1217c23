package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/orgbridge/orgbridge/connectors/aircourse/emulator"
	"github.com/orgbridge/orgbridge/internal/notify/smtptest"
)

const notifyStatusURL = "https://orgbridge.example.com/status"

// webhookSink is an httptest webhook keeping the bodies it receives.
type webhookSink struct {
	mu     sync.Mutex
	bodies []map[string]any
	srv    *httptest.Server
}

func newWebhookSink(t *testing.T) *webhookSink {
	w := &webhookSink{}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var v map[string]any
		if r.URL.Path != "/hooks/T01/B02/xoxSecretPart" || json.Unmarshal(raw, &v) != nil {
			rw.WriteHeader(http.StatusBadRequest)
			return
		}
		w.mu.Lock()
		w.bodies = append(w.bodies, v)
		w.mu.Unlock()
		rw.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *webhookSink) url() string { return w.srv.URL + "/hooks/T01/B02/xoxSecretPart" }

// texts are the "text" of every body received, in order.
func (w *webhookSink) texts() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, b := range w.bodies {
		s, _ := b["text"].(string)
		out = append(out, s)
	}
	return out
}

func (w *webhookSink) count(sub string) int {
	n := 0
	for _, s := range w.texts() {
		if strings.Contains(s, sub) {
			n++
		}
	}
	return n
}

// orgbridge serve with a notify block tells people: a plan the guard
// refuses (once, however often the schedule meets it again), a quarantine
// and its recovery, each as a Slack-style text webhook, a JSON webhook and
// a mail through a real SMTP server (STARTTLS, AUTH PLAIN), naming the job
// and linking to the status page; the webhook URL, a secret, is in no log.
func TestEndToEndNotifications(t *testing.T) {
	c, emu := setup(t)
	text, js := newWebhookSink(t), newWebhookSink(t)
	relay := smtptest.Start(t)
	t.Setenv("NOTIFY_SLACK_URL", text.url())
	t.Setenv("NOTIFY_HOOK_URL", js.url())
	t.Setenv("NOTIFY_SMTP_PASSWORD", smtptest.Password)
	cfg := daemonConfig(t, c)
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	block := "notify:\n" +
		"  status_url: " + notifyStatusURL + "\n" +
		"  webhooks:\n" +
		"    - url: {env: NOTIFY_SLACK_URL}\n      format: text\n" +
		"    - url: {env: NOTIFY_HOOK_URL}\n" +
		"  email:\n" +
		"    host: " + relay.Host + "\n" +
		"    port: " + strconv.Itoa(relay.Port) + "\n" +
		"    ca_file: " + relay.CAFile + "\n" +
		"    username: " + smtptest.Username + "\n" +
		"    password: {env: NOTIFY_SMTP_PASSWORD}\n" +
		"    from: orgbridge@example.com\n" +
		"    to: [it-ops@example.com]\n"
	if err := os.WriteFile(cfg, []byte(block+string(data)), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := c.run("validate", "-c", cfg); code != exitOK {
		t.Fatalf("validate: exit %d\n%s%s", code, out, errs)
	}
	d := startServe(t, cfg)
	defer d.stop()

	waitFor(t, "a first successful run", func() bool {
		for _, r := range runsOf(d) {
			if r["status"] == "succeeded" {
				return true
			}
		}
		return false
	})

	// Nine of the eleven users leave: the guard refuses, the plan is held.
	c.write("demo/users.csv", "社員番号,氏名,メールアドレス,所属,役職,役割,在籍区分,グループ\n"+
		"1001,山田 太郎,taro.yamada@example.co.jp,本社,代表取締役,管理者,在籍,新人研修\n")
	waitFor(t, "the held plan's message", func() bool { return text.count("plan held for approval") > 0 })
	msg := text.texts()[0]
	for _, want := range []string{"job hr-to-aircourse: plan held for approval", "exceed the limit", "Status page: " + notifyStatusURL} {
		if !strings.Contains(msg, want) {
			t.Errorf("the held plan's message lacks %q:\n%s", want, msg)
		}
	}
	mails := relay.Wait(t, 1)
	m := mails[0]
	if !m.TLS || m.From != "orgbridge@example.com" || len(m.To) != 1 || m.To[0] != "it-ops@example.com" ||
		!strings.Contains(m.Data, "Subject: [orgbridge] job hr-to-aircourse: plan held for approval") ||
		!strings.Contains(m.Data, notifyStatusURL) || !strings.Contains(m.Data, "X-Orgbridge-Event: plan_held") {
		t.Errorf("the mail: tls=%v from=%q to=%q\n%s", m.TLS, m.From, m.To, m.Data)
	}
	// The schedule meets the refusal again; min_interval (15m) holds the
	// message back.
	waitFor(t, "two more refused runs", func() bool {
		n := 0
		for _, r := range runsOf(d) {
			if r["status"] == "refused" {
				n++
			}
		}
		return n >= 3
	})

	// The export is whole again, then the target fails every call: one
	// run fails, the job is quarantined; it recovers on a manual run.
	c.useExport("users.csv")
	waitFor(t, "a run after the export is restored", func() bool { return runsOf(d)[0]["status"] == "succeeded" })
	emu.SetFaults(emulator.Faults{Rate5xx: 1})
	waitFor(t, "the quarantine's message", func() bool { return text.count("quarantined: its scheduled runs pause") > 0 })
	emu.SetFaults(emulator.Faults{})
	waitFor(t, "a manual run after recovery", func() bool {
		req, _ := http.NewRequest("POST", d.admin+"/api/jobs/hr-to-aircourse/run", nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusAccepted
	})
	waitFor(t, "the recovery's message", func() bool { return text.count("recovered: a run succeeded") > 0 })

	texts := text.texts()
	t.Logf("the text webhook received %d messages:\n%s", len(texts), strings.Join(texts, "---\n"))
	for _, s := range texts {
		if !strings.Contains(s, "job hr-to-aircourse: ") || !strings.Contains(s, "Status page: "+notifyStatusURL) {
			t.Errorf("a message does not name the job and link the status page:\n%s", s)
		}
	}
	if n := text.count("plan held for approval"); n != 1 {
		t.Errorf("%d held-plan messages, want 1 (rate-limited)", n)
	}
	for _, s := range texts {
		if strings.Contains(s, "quarantined") && !strings.Contains(s, "Reason: 1 run(s) in a row failed") {
			t.Errorf("the quarantine's message does not say why:\n%s", s)
		}
	}
	// The JSON webhook had the same messages, with the fields.
	waitFor(t, "the JSON webhook's messages", func() bool { return len(js.texts()) >= len(texts) })
	js.mu.Lock()
	first := js.bodies[0]
	js.mu.Unlock()
	if first["event"] != "plan_held" || first["job"] != "hr-to-aircourse" || first["status_url"] != notifyStatusURL || first["run_id"] == nil {
		t.Errorf("the JSON body = %v", first)
	}
	relay.Wait(t, len(texts))

	_, metricsText := d.call("GET", "/metrics", http.StatusOK)
	for _, want := range []string{`orgbridge_notifications_total{outcome="sent",sink="webhook"}`, `orgbridge_notifications_total{outcome="sent",sink="email"}`,
		`orgbridge_notifications_total{outcome="rate_limited",sink="webhook"}`} {
		if !strings.Contains(metricsText, want) {
			t.Errorf("/metrics lacks %s\n%s", want, grepLines(metricsText, "orgbridge_notifications"))
		}
	}
	for _, e := range d.logs.All() {
		line := e.Message
		for k, v := range e.ContextMap() {
			b, _ := json.Marshal(v)
			line += " " + k + "=" + string(b)
		}
		if strings.Contains(line, "xoxSecretPart") || strings.Contains(line, smtptest.Password) {
			t.Errorf("a secret is logged: %s", line)
		}
	}
	if d.logs.FilterMessage("notification sent").Len() == 0 {
		t.Error("no notification was logged as sent")
	}
}

// orgbridge sync with a notify block tells the sinks when the guard
// refuses the run, saying how to approve it from the command line, and
// when a run fails; a run that succeeds tells nobody.
func TestEndToEndSyncNotifies(t *testing.T) {
	c, emu := setup(t)
	hook := newWebhookSink(t)
	t.Setenv("NOTIFY_SLACK_URL", hook.url())
	data, err := os.ReadFile(c.config())
	if err != nil {
		t.Fatal(err)
	}
	c.write("demo.yaml", "notify:\n  status_url: "+notifyStatusURL+"\n  webhooks: [{url: {env: NOTIFY_SLACK_URL}, format: text}]\n"+string(data))
	if code, _, errs := c.run("sync", "-c", c.config()); code != exitOK {
		t.Fatalf("sync: exit %d\n%s", code, errs)
	}
	if n := len(hook.texts()); n != 0 {
		t.Fatalf("a successful sync sent %d messages", n)
	}
	c.write("demo/users.csv", "社員番号,氏名,メールアドレス,所属,役職,役割,在籍区分,グループ\n"+
		"1001,山田 太郎,taro.yamada@example.co.jp,本社,代表取締役,管理者,在籍,新人研修\n")
	code, _, errs := c.run("sync", "-c", c.config())
	if code != exitRefused {
		t.Fatalf("sync: exit %d, want 3\n%s", code, errs)
	}
	texts := hook.texts()
	if len(texts) != 1 || !strings.Contains(texts[0], "job hr-to-aircourse: a run from the command line was refused by the guard (run 2)") ||
		!strings.Contains(texts[0], "orgbridge sync --plan plan.json") || !strings.Contains(texts[0], "Status page: "+notifyStatusURL) {
		t.Fatalf("messages after a refused sync: %q", texts)
	}
	c.useExport("users.csv")
	emu.SetFaults(emulator.Faults{Rate5xx: 1})
	if code, _, errs := c.run("sync", "-c", c.config()); code != exitFailed {
		t.Fatalf("sync against a failing target: exit %d\n%s", code, errs)
	}
	texts = hook.texts()
	if len(texts) != 2 || !strings.Contains(texts[1], "job hr-to-aircourse: a run failed\n") || !strings.Contains(texts[1], "503") {
		t.Fatalf("messages after a failed sync: %q", texts)
	}
}
