package notify

import (
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"

	"github.com/orgbridge/orgbridge/internal/config"
)

// Build makes the notifier options of a notify block: its sinks with their
// secrets resolved (the webhook URLs, the SMTP password) and the relay's
// CA read, relative to dir (the config file's directory). Errors name the
// key, never a secret.
func Build(n *config.Notify, dir string) (Options, error) {
	opts := Options{StatusURL: n.StatusURL, MinInterval: n.MinInterval}
	for i, w := range n.Webhooks {
		key := fmt.Sprintf("notify.webhooks[%d]", i)
		u, err := w.URL.Resolve(key+".url", dir)
		if err != nil {
			return Options{}, err
		}
		opts.Sinks = append(opts.Sinks, &Webhook{SinkName: key, URL: u, Format: w.Format, Timeout: w.Timeout})
	}
	if e := n.Email; e != nil {
		s := &Email{Host: e.Host, Port: e.Port, TLS: e.TLS, Username: e.Username, From: e.From, To: e.To, SubjectPrefix: e.SubjectPrefix}
		if e.Username != "" {
			pw, err := e.Password.Resolve("notify.email.password", dir)
			if err != nil {
				return Options{}, err
			}
			s.Password = pw
		}
		if e.CAFile != "" {
			path := e.CAFile
			if !filepath.IsAbs(path) {
				path = filepath.Join(dir, path)
			}
			pem, err := os.ReadFile(path)
			if err != nil {
				return Options{}, &config.FieldError{Key: "notify.email.ca_file", Message: err.Error()}
			}
			s.RootCAs = x509.NewCertPool()
			if !s.RootCAs.AppendCertsFromPEM(pem) {
				return Options{}, &config.FieldError{Key: "notify.email.ca_file", Message: path + " holds no PEM certificate"}
			}
		}
		if h, err := os.Hostname(); err == nil {
			s.Hostname = h
		}
		opts.Sinks = append(opts.Sinks, s)
	}
	return opts, nil
}
