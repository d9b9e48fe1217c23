package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/orgbridge/orgbridge/scheduler"
)

// Exit codes, documented in the README and in --help.
const (
	exitOK      = 0
	exitFailed  = 1
	exitUsage   = 2
	exitRefused = 3
)

// exitError carries an exit code up to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageError(err error) error  { return &exitError{code: exitUsage, err: err} }
func failedError(err error) error { return &exitError{code: exitFailed, err: err} }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the CLI and returns the exit code; tests call it directly.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := &app{stdout: stdout, stderr: stderr}
	root := app.rootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if perr := app.prof.stop(); perr != nil {
		fmt.Fprintf(stderr, "orgbridge: %v\n", perr)
	}
	if app.logger != nil {
		_ = app.logger.Sync()
	}
	if err == nil {
		return exitOK
	}
	code := exitFailed
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		code = ee.code
	case errors.Is(err, scheduler.ErrRefused):
		code = exitRefused
	case isUsage(err):
		code = exitUsage
	}
	fmt.Fprintf(stderr, "orgbridge: %v\n", err)
	return code
}

// isUsage tells cobra's own usage errors (unknown flag or command, wrong
// argument count) from failures: they surface before any RunE runs.
func isUsage(err error) bool {
	var ue *usageMarker
	if errors.As(err, &ue) {
		return true
	}
	msg := err.Error()
	for _, prefix := range []string{"unknown command", "required flag(s)", "unknown flag", "unknown shorthand flag", "invalid argument"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

type usageMarker struct{ err error }

func (u *usageMarker) Error() string { return u.err.Error() }
func (u *usageMarker) Unwrap() error { return u.err }

// app holds what every command shares.
type app struct {
	stdout, stderr io.Writer
	logFormat      string
	logLevel       string
	logger         *zap.Logger
	prof           profiler
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "orgbridge",
		Short: "Keep an organization management API in step with HR CSV, LDAP/AD and SCIM",
		Long: `orgbridge reads organizations, users, groups and memberships from a source
(an HR CSV export, an LDAP directory or Active Directory, or what identity
providers pushed to its SCIM 2.0 endpoint), maps them through the rules of a
YAML config, plans the changes that bring a target management API in step
(aircourse, tenantadmin, capgo, pcaid or directory), guards against mass
deletion, and applies them, journaling each change.

Exit codes:
  0  ok
  1  failed (a source, target or change failed)
  2  bad usage or config
  3  refused by the safety guard (rerun with --force if the change is wanted)`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := newLogger(a.logFormat, a.logLevel, a.stderr)
			if err != nil {
				return usageError(err)
			}
			a.logger = logger
			if err := a.prof.start(); err != nil {
				return usageError(err)
			}
			return nil
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageMarker{err} })
	root.PersistentFlags().StringVar(&a.logFormat, "log-format", "", "log format: console or json (default: console on a terminal, json otherwise)")
	root.PersistentFlags().StringVar(&a.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	a.prof.register(root)
	root.AddCommand(a.validateCommand(), a.planCommand(), a.syncCommand(), a.serveCommand(), a.emulateCommand(), a.demoCommand(), a.explainCommand(), a.loadgenCommand(), a.genCommand())
	for _, c := range root.Commands() {
		c.Args = wrapArgs(c.Args)
	}
	return root
}

// wrapArgs marks argument-count errors as usage errors.
func wrapArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	if check == nil {
		check = cobra.NoArgs
	}
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return &usageMarker{err}
		}
		return nil
	}
}
