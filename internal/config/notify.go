package config

import (
	"fmt"
	"net/mail"
	"net/url"
	"time"
)

// Notify tells people when something needs them: a plan held for
// approval, a job quarantined and its recovery, a failed run, records held
// back. Each event is one message to every sink.
type Notify struct {
	// StatusURL is the address people reach the status page at (the admin
	// listener, often behind a proxy): every message links to it.
	StatusURL string `yaml:"status_url"`
	// MinInterval: at most one message per kind of event and job within
	// it; default 15m. A recovery always goes out.
	MinInterval time.Duration `yaml:"min_interval"`
	// Webhooks receive each message as an HTTP POST.
	Webhooks []Webhook `yaml:"webhooks"`
	// Email sends each message by SMTP.
	Email *Email `yaml:"email"`
}

// Webhook is one URL messages are posted to.
type Webhook struct {
	// URL is a secret: a Slack or Teams incoming-webhook URL is its own
	// credential.
	URL Secret `yaml:"url"`
	// Format is "json" (the event's fields; the default) or "text" (a
	// {"text": "..."} body, as Slack and Teams incoming webhooks take).
	Format string `yaml:"format"`
	// Timeout of one attempt; default 10s.
	Timeout time.Duration `yaml:"timeout"`
}

// Email sends messages through an SMTP relay.
type Email struct {
	Host string `yaml:"host"`
	// Port; default 587 (465 with tls: implicit).
	Port int `yaml:"port"`
	// TLS is "starttls" (required; the default), "implicit" (TLS from the
	// first byte, port 465) or "none" (a relay on the same host only).
	TLS string `yaml:"tls"`
	// CAFile, when set, is the only CA trusted for the relay's certificate
	// (a PEM file, relative to the config file); default the system's.
	CAFile string `yaml:"ca_file"`
	// Username and Password authenticate (AUTH PLAIN, or LOGIN when the
	// relay offers only that); without a username no AUTH is sent.
	Username string   `yaml:"username"`
	Password Secret   `yaml:"password"`
	From     string   `yaml:"from"`
	To       []string `yaml:"to"`
	// SubjectPrefix starts every subject; default "[orgbridge]".
	SubjectPrefix string `yaml:"subject_prefix"`
}

// Notification defaults.
const (
	DefaultNotifyMinInterval = 15 * time.Minute
	DefaultWebhookTimeout    = 10 * time.Second
	DefaultSubjectPrefix     = "[orgbridge]"
)

func (n *Notify) applyDefaults() {
	if n.MinInterval == 0 {
		n.MinInterval = DefaultNotifyMinInterval
	}
	for i := range n.Webhooks {
		w := &n.Webhooks[i]
		if w.Format == "" {
			w.Format = "json"
		}
		if w.Timeout == 0 {
			w.Timeout = DefaultWebhookTimeout
		}
	}
	if e := n.Email; e != nil {
		if e.TLS == "" {
			e.TLS = "starttls"
		}
		if e.Port == 0 {
			e.Port = 587
			if e.TLS == "implicit" {
				e.Port = 465
			}
		}
		if e.SubjectPrefix == "" {
			e.SubjectPrefix = DefaultSubjectPrefix
		}
	}
}

func (n *Notify) validate(p *Problems) {
	if len(n.Webhooks) == 0 && n.Email == nil {
		p.Add("notify", "set webhooks or email: a notify block without either tells nobody")
	}
	if n.StatusURL == "" {
		p.Add("notify.status_url", "required: the address of the status page, which every message links to")
	} else if u, err := url.Parse(n.StatusURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.Add("notify.status_url", "%q is not an http(s) URL", n.StatusURL)
	}
	if n.MinInterval < 0 {
		p.Add("notify.min_interval", "%v is negative", n.MinInterval)
	}
	for i, w := range n.Webhooks {
		key := fmt.Sprintf("notify.webhooks[%d]", i)
		w.URL.Check(p, key+".url")
		switch w.Format {
		case "json", "text":
		default:
			p.Add(key+".format", "%q is not json or text", w.Format)
		}
		if w.Timeout < 0 {
			p.Add(key+".timeout", "%v is negative", w.Timeout)
		}
	}
	if e := n.Email; e != nil {
		e.validate(p)
	}
}

func (e *Email) validate(p *Problems) {
	if e.Host == "" {
		p.Add("notify.email.host", "required")
	}
	if e.Port < 1 || e.Port > 65535 {
		p.Add("notify.email.port", "%d is not a port", e.Port)
	}
	switch e.TLS {
	case "starttls", "implicit":
	case "none":
		if e.Username != "" {
			p.Add("notify.email.tls", "none would send the password in the clear: use starttls or implicit with a username")
		}
	default:
		p.Add("notify.email.tls", "%q is not starttls, implicit or none", e.TLS)
	}
	if e.Username != "" {
		e.Password.Check(p, "notify.email.password")
	} else if e.Password != (Secret{}) {
		p.Add("notify.email.username", "required with a password")
	}
	if e.From == "" {
		p.Add("notify.email.from", "required")
	} else if _, err := mail.ParseAddress(e.From); err != nil {
		p.Add("notify.email.from", "%q is not an e-mail address", e.From)
	}
	if len(e.To) == 0 {
		p.Add("notify.email.to", "at least one address is required")
	}
	for i, to := range e.To {
		if _, err := mail.ParseAddress(to); err != nil {
			p.Add(fmt.Sprintf("notify.email.to[%d]", i), "%q is not an e-mail address", to)
		}
	}
}
