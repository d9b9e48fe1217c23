package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Webhook formats.
const (
	FormatJSON = "json"
	FormatText = "text"
)

// Webhook posts each message to a URL: the event's fields as JSON, or
// {"text": "..."} (FormatText) for Slack and Teams incoming webhooks.
type Webhook struct {
	// SinkName names it in logs and errors ("webhooks[0]"); the URL is a
	// credential and never appears in either.
	SinkName string
	URL      string
	Format   string
	// Timeout of one attempt; default 10s.
	Timeout time.Duration
	// Attempts in all, for a 5xx, a 429 or no response; default 3.
	Attempts int
	// Backoff is the pause before the second attempt, doubling after;
	// default 1s.
	Backoff time.Duration
	Client  *http.Client
}

func (w *Webhook) Name() string { return w.SinkName }
func (w *Webhook) Type() string { return "webhook" }

// jsonBody is the JSON form: the event, the text and the link.
type jsonBody struct {
	Event     Kind      `json:"event"`
	Job       string    `json:"job"`
	RunID     int64     `json:"run_id,omitempty"`
	At        time.Time `json:"at"`
	Title     string    `json:"title"`
	Details   []string  `json:"details,omitempty"`
	StatusURL string    `json:"status_url,omitempty"`
	Text      string    `json:"text"`
}

// Body is what the webhook posts for m.
func (w *Webhook) Body(m Message) ([]byte, error) {
	text := m.Text(m.StatusURL)
	if w.Format == FormatText {
		return json.Marshal(map[string]string{"text": text})
	}
	return json.Marshal(jsonBody{Event: m.Kind, Job: m.Job, RunID: m.RunID, At: m.At.UTC(), Title: m.Title,
		Details: m.Details, StatusURL: m.StatusURL, Text: text})
}

// errPermanent marks an answer not worth another attempt (a 4xx).
var errPermanent = errors.New("not retried")

// Send posts the message, again after a 5xx, a 429 or no response.
func (w *Webhook) Send(ctx context.Context, m Message) error {
	body, err := w.Body(m)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	attempts, backoff := w.Attempts, w.Backoff
	if attempts <= 0 {
		attempts = 3
	}
	if backoff <= 0 {
		backoff = time.Second
	}
	for i := 1; ; i++ {
		err = w.post(ctx, body)
		if err == nil || errors.Is(err, errPermanent) || i == attempts {
			if err != nil && i > 1 {
				return fmt.Errorf("after %d attempts: %w", i, err)
			}
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("after %d attempts: %w (%w)", i, ctx.Err(), err)
		case <-time.After(backoff):
		}
		backoff *= 2
	}
}

func (w *Webhook) post(ctx context.Context, body []byte) error {
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		// The parse error quotes the URL: say only that it is not one.
		return fmt.Errorf("the URL is not valid: %w", errPermanent)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "orgbridge")
	client := w.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		// *url.Error quotes the URL, which is a secret: keep its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("POST: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("POST: %s", resp.Status)
	default:
		return fmt.Errorf("POST: %s: %w", resp.Status, errPermanent)
	}
}
