package config_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/orgbridge/orgbridge/connectors/registry"
	"github.com/orgbridge/orgbridge/internal/config"
)

// The notify block's defaults: a 15-minute window, JSON webhooks with a
// 10s timeout, STARTTLS on 587 (implicit TLS on 465).
func TestNotifyDefaults(t *testing.T) {
	base, err := os.ReadFile(filepath.Join("testdata", "rules", "notify-webhook-format.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, notify string
		want         config.Notify
	}{
		{"webhook", "notify:\n  status_url: https://ob.example.com/\n  webhooks: [{url: {env: HOOK}}]\n",
			config.Notify{StatusURL: "https://ob.example.com/", MinInterval: 15 * time.Minute,
				Webhooks: []config.Webhook{{URL: config.Secret{Env: "HOOK"}, Format: "json", Timeout: 10 * time.Second}}}},
		{"starttls", "notify:\n  status_url: https://ob.example.com/\n  min_interval: 1h\n  email: {host: smtp.example.com, from: ob@example.com, to: [ops@example.com]}\n",
			config.Notify{StatusURL: "https://ob.example.com/", MinInterval: time.Hour,
				Email: &config.Email{Host: "smtp.example.com", Port: 587, TLS: "starttls", From: "ob@example.com", To: []string{"ops@example.com"}, SubjectPrefix: "[orgbridge]"}}},
		{"implicit", "notify:\n  status_url: https://ob.example.com/\n  email: {host: smtp.example.com, tls: implicit, from: ob@example.com, to: [ops@example.com]}\n",
			config.Notify{StatusURL: "https://ob.example.com/", MinInterval: 15 * time.Minute,
				Email: &config.Email{Host: "smtp.example.com", Port: 465, TLS: "implicit", From: "ob@example.com", To: []string{"ops@example.com"}, SubjectPrefix: "[orgbridge]"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The rule file's jobs, after its notify block (3 lines).
			jobs := string(base)[len("notify:\n  status_url: https://orgbridge.example.com/\n  webhooks: [{url: {env: SLACK_WEBHOOK_URL}, format: slack}]\n"):]
			path := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(path, []byte(tt.notify+jobs), 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := registry.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			got := *f.Notify
			if got.StatusURL != tt.want.StatusURL || got.MinInterval != tt.want.MinInterval || len(got.Webhooks) != len(tt.want.Webhooks) ||
				(got.Email == nil) != (tt.want.Email == nil) {
				t.Fatalf("notify = %+v, want %+v", got, tt.want)
			}
			for i := range got.Webhooks {
				if got.Webhooks[i] != tt.want.Webhooks[i] {
					t.Errorf("webhooks[%d] = %+v, want %+v", i, got.Webhooks[i], tt.want.Webhooks[i])
				}
			}
			if e, w := got.Email, tt.want.Email; e != nil {
				if e.Host != w.Host || e.Port != w.Port || e.TLS != w.TLS || e.From != w.From || e.SubjectPrefix != w.SubjectPrefix || len(e.To) != 1 || e.To[0] != w.To[0] {
					t.Errorf("email = %+v, want %+v", *e, *w)
				}
			}
		})
	}
}
