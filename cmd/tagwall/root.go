package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// exitError carries a process exit status through cobra. Commands return it
// (wrapped or not) to choose a status other than 1; the message, if any, is
// printed to stderr once by run.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError marks bad input: exit status 2.
func usageError(err error) error { return &exitError{code: 2, err: err} }

// exitCode returns err's status with no message (e.g. "denied" = 1).
func exitCode(code int) error { return &exitError{code: code} }

// newRootCmd builds the command tree. Each subcommand lives in its own file
// (cmd/tagwall/<name>.go) and is registered here.
func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "tagwall",
		Short:         "Service-tag aware API-server authorized IP ranges: control plane, front door and CLI",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })
	for _, add := range subcommands {
		root.AddCommand(add())
	}
	return root
}

// subcommands is appended to by each subcommand file's init.
var subcommands []func() *cobra.Command

// run executes the CLI and returns the process exit status.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "tagwall:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "tagwall:", err)
	if isUsage(err) {
		return 2
	}
	return 1
}

// isUsage reports whether cobra rejected the command line itself.
func isUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
