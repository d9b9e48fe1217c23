package emulator

import (
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/internal/emukit"
)

// Demo settings: configs/directory.yaml syncs the demo HR export into
// NewDemo's emulator with these. They guard nothing but a local emulator.
const (
	DemoClientID     = "orgbridge-demo"
	DemoClientSecret = "demo-secret"
	// DemoSecretEnv is the environment variable configs/directory.yaml
	// reads the client secret from.
	DemoSecretEnv      = "DIRECTORY_CLIENT_SECRET"
	DemoOrganizationID = "org-demo"
	// DefaultPort is where `orgbridge emulate directory` listens by
	// default, and where configs/directory.yaml looks.
	DefaultPort = 8085
)

// DemoAccountTypes are the account types of the demo organization.
var DemoAccountTypes = []AccountType{
	{Code: "standard", Name: "一般利用者"},
	{Code: "admin", Name: "管理者"},
}

// NewDemo returns an emulator ready for configs/directory.yaml: the demo
// client registered, and the demo organization with its account types and
// no assignment. No rate limit, no faults.
func NewDemo(logger *zap.Logger) *Server {
	return NewDemoWith(Options{Options: emukit.Options{Logger: logger}})
}

// NewDemoWith is NewDemo with options: readings, a clock, a rate limit.
func NewDemoWith(opts Options) *Server {
	s := New(opts)
	s.AddClient(DemoClientID, DemoClientSecret)
	s.AddOrganization(DemoOrganizationID, DemoAccountTypes...)
	return s
}
