package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/tagwall/tagwall/internal/cli"
)

// The az-shaped CLI: `tagwall feature|provider|group|aks|network|extension …`
// (internal/cli). Its commands print their own az-style errors and return
// *cli.ExitError; azCommand turns that into this binary's exit status.
func init() {
	for _, name := range cli.GroupNames() {
		subcommands = append(subcommands, func() *cobra.Command { return azCommand(name) })
	}
}

func azCommand(name string) *cobra.Command {
	c := cli.Command(cli.OSEnv(), name)
	c.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return asExit(cli.FlagError(c, err)) })
	wrapExit(c)
	return c
}

// wrapExit converts *cli.ExitError from every RunE in the tree.
func wrapExit(c *cobra.Command) {
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error { return asExit(run(cmd, args)) }
	}
	for _, sub := range c.Commands() {
		wrapExit(sub)
	}
}

func asExit(err error) error {
	var ee *cli.ExitError
	if errors.As(err, &ee) {
		return exitCode(ee.Code)
	}
	return err
}
