// Package smtptest runs a real SMTP server (github.com/emersion/go-smtp)
// for tests: on a port the kernel picks, with STARTTLS under a throwaway
// CA's certificate and AUTH PLAIN required before MAIL, keeping every
// message it accepts.
package smtptest
