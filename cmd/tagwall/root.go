package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/tagwall/tagwall/internal/cli"
)

// usageError marks bad input: exit status 2, err printed once by run.
// The binary has one exit-error type, cli.ExitError.
func usageError(err error) error { return &cli.ExitError{Code: 2, Err: err} }

// exitCode returns err's status with no message (e.g. "denied" = 1).
func exitCode(code int) error { return &cli.ExitError{Code: code} }

// subcommands is the one registration list of the binary's own commands
// (each in cmd/tagwall/<name>.go); the az-shaped groups of internal/cli
// follow them, from cli.Commands. There is no init() registration.
var subcommands = []func() *cobra.Command{
	newServeCmd,
	newStoreCmd,
	newGatewayCmd,
	newCheckCmd,
	newServiceTagsCmd,
	newSPCmd,
	newSubscriptionCmd,
	newAzEnvCmd,
}

// newRootCmd builds the command tree.
func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "tagwall",
		Short:         "Service-tag aware API-server authorized IP ranges: control plane, front door and CLI",
		SilenceUsage:  true,
		SilenceErrors: true,
		// With an Args validator cobra leaves unknown commands to it
		// instead of returning an error whose text would need matching.
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError(fmt.Errorf("unknown command %q for %q", args[0], c.CommandPath()))
			}
			return nil
		},
		RunE: func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })
	for _, add := range subcommands {
		root.AddCommand(add())
	}
	root.AddCommand(cli.Commands(cli.OSEnv())...)
	usageArgs(root)
	return root
}

// usageArgs makes every positional-argument validator in c's tree report
// a usage error (exit status 2), whichever cobra validator a command uses;
// an error that already carries its status passes unchanged.
func usageArgs(c *cobra.Command) {
	if v := c.Args; v != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			err := v(cmd, args)
			var ee *cli.ExitError
			if err == nil || errors.As(err, &ee) {
				return err
			}
			return usageError(err)
		}
	}
	for _, sub := range c.Commands() {
		usageArgs(sub)
	}
}

// run executes the CLI and returns the process exit status: a
// cli.ExitError's code (its Err printed once), else 1.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ee *cli.ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			fmt.Fprintln(stderr, "tagwall:", ee.Err)
		}
		return ee.Code
	}
	fmt.Fprintln(stderr, "tagwall:", err)
	return 1
}
