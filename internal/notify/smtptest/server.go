package smtptest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/orgbridge/orgbridge/internal/testtls"
)

// The credentials the server accepts.
const (
	Username = "orgbridge"
	Password = "smtp-test-password-5b1e"
)

// Message is one mail the server accepted.
type Message struct {
	From string
	To   []string
	// TLS reports whether the session had STARTTLS'd when the mail came.
	TLS  bool
	Data string
}

// Server is a running test SMTP server.
type Server struct {
	Host string
	Port int
	// CAFile is the PEM file of the CA that signed the server's
	// certificate (for 127.0.0.1 and localhost).
	CAFile string
	Pool   *x509.CertPool

	mu       sync.Mutex
	messages []Message
	arrived  chan struct{} // gets a value per message
	// AuthFailures counts refused AUTH attempts.
	authFailures int
}

// Start runs a server until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	files, err := testtls.Write(filepath.Join(t.TempDir(), "tls"), "127.0.0.1", "::1", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(files.Cert, files.Key)
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(files.CA)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Host: "127.0.0.1", CAFile: files.CA, Pool: x509.NewCertPool(), arrived: make(chan struct{}, 1000)}
	s.Pool.AppendCertsFromPEM(caPEM)
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv.AllowInsecureAuth = false // AUTH only after STARTTLS
	srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
	srv.MaxMessageBytes = 1 << 20
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Port = ln.Addr().(*net.TCPAddr).Port
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// Messages are the mails accepted so far, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// AuthFailures counts the AUTH attempts refused.
func (s *Server) AuthFailures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authFailures
}

// Wait blocks until n mails have come in all; the deadline is a hang
// guard only.
func (s *Server) Wait(t testing.TB, n int) []Message {
	t.Helper()
	deadline := time.After(90 * time.Second)
	for {
		if m := s.Messages(); len(m) >= n {
			return m
		}
		select {
		case <-s.arrived:
		case <-deadline:
			t.Fatalf("smtptest: %d message(s) after 90s, want %d", len(s.Messages()), n)
		}
	}
}

// NewSession implements smtp.Backend.
func (s *Server) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{srv: s, conn: c}, nil
}

type session struct {
	srv  *Server
	conn *smtp.Conn
	auth bool
	from string
	to   []string
}

func (x *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != Username || password != Password {
			x.srv.mu.Lock()
			x.srv.authFailures++
			x.srv.mu.Unlock()
			return errors.New("invalid credentials")
		}
		x.auth = true
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if !x.auth {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if !x.auth {
		return smtp.ErrAuthRequired
	}
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	if !x.auth {
		return smtp.ErrAuthRequired
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := x.conn.TLSConnectionState()
	x.srv.mu.Lock()
	x.srv.messages = append(x.srv.messages, Message{From: x.from, To: x.to, TLS: isTLS, Data: string(b)})
	x.srv.mu.Unlock()
	select {
	case x.srv.arrived <- struct{}{}:
	default: // Wait reads Messages anyway
	}
	return nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }
