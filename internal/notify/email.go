package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"
)

// Email TLS modes.
const (
	TLSStartTLS = "starttls" // STARTTLS, required: no mail goes in the clear
	TLSImplicit = "implicit" // TLS from the first byte (port 465)
	TLSNone     = "none"     // plain SMTP, for a relay on the same host
)

// Email sends each message as a plain-text mail through an SMTP relay.
type Email struct {
	Host string
	Port int
	TLS  string
	// RootCAs, when set, are the only CAs trusted for the relay's
	// certificate; nil trusts the system's.
	RootCAs *x509.CertPool
	// Username and Password authenticate (the strongest mechanism the
	// relay offers of SCRAM, CRAM-MD5, PLAIN and LOGIN); no Username, no
	// AUTH.
	Username, Password string
	From               string
	To                 []string
	SubjectPrefix      string
	// Timeout of the whole exchange; default 30s.
	Timeout time.Duration
	// Hostname names this host in the Message-ID; default "orgbridge".
	Hostname string
}

func (e *Email) Name() string { return "email" }
func (e *Email) Type() string { return "email" }

// Msg builds the mail of m.
func (e *Email) Msg(m Message) (*mail.Msg, error) {
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := msg.From(e.From); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if err := msg.To(e.To...); err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	subject := m.Subject()
	if e.SubjectPrefix != "" {
		subject = e.SubjectPrefix + " " + subject
	}
	msg.Subject(subject)
	msg.SetDateWithValue(m.At)
	host := e.Hostname
	if host == "" {
		host = "orgbridge"
	}
	// One Message-ID per event: a relay that sees the same one twice (a
	// retry) may drop the copy.
	msg.SetMessageIDWithValue(fmt.Sprintf("%s.%s.%d@%s", m.Kind, idPart(m.Job), m.At.UnixNano(), host))
	msg.SetGenHeader("X-Orgbridge-Event", string(m.Kind))
	msg.SetGenHeader("X-Orgbridge-Job", m.Job)
	msg.SetUserAgent("orgbridge")
	msg.SetBodyString(mail.TypeTextPlain, m.Text(m.StatusURL))
	return msg, nil
}

// idPart keeps the characters a Message-ID's left part may hold.
func idPart(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x80 && (r == '-' || r == '_' || r == '.' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9')) {
			return r
		}
		return '_'
	}, s)
}

// Send mails the message to every recipient in one transaction.
func (e *Email) Send(ctx context.Context, m Message) error {
	msg, err := e.Msg(m)
	if err != nil {
		return err
	}
	timeout := e.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	opts := []mail.Option{mail.WithPort(e.Port), mail.WithTimeout(timeout),
		mail.WithTLSConfig(&tls.Config{ServerName: e.Host, RootCAs: e.RootCAs, MinVersion: tls.VersionTLS12})}
	switch e.TLS {
	case TLSImplicit:
		opts = append(opts, mail.WithSSL())
	case TLSNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if e.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(e.Username), mail.WithPassword(e.Password))
	}
	client, err := mail.NewClient(e.Host, opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("smtp %s:%d: %w", e.Host, e.Port, err)
	}
	return nil
}
