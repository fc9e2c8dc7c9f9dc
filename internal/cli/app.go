package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tagwall/tagwall/internal/clientconfig"
)

// Env is what the commands take from the process. The zero value is
// usable in tests only with Getenv set; OSEnv fills it from the process.
type Env struct {
	// Getenv reads TAGWALL_ENDPOINT, TAGWALL_TOKEN, TAGWALL_CA_FILE and
	// TAGWALL_CONFIG. nil means no environment.
	Getenv func(string) string
	// ConfigPath is the client config; "" means clientconfig.DefaultPath().
	ConfigPath string
	// Home is the user's home directory, for ~/.kube/config.
	Home string
	// StderrTTY reports whether stderr is a terminal: progress of
	// long-running operations is shown only then.
	StderrTTY bool
	// Sleep waits between polls and before retrying a throttled request;
	// nil means time.Sleep.
	Sleep func(time.Duration)
	// Transport replaces the HTTPS transport (tests); nil builds one that
	// trusts the configured CA file.
	Transport http.RoundTripper
}

// OSEnv returns the process's environment, home directory and terminal.
func OSEnv() Env {
	home, _ := os.UserHomeDir()
	tty := false
	if fi, err := os.Stderr.Stat(); err == nil {
		tty = fi.Mode()&os.ModeCharDevice != 0
	}
	return Env{Getenv: os.Getenv, Home: home, StderrTTY: tty}
}

func (e Env) getenv(k string) string {
	if e.Getenv == nil {
		return ""
	}
	return e.Getenv(k)
}

// Run executes args (e.g. "aks", "show", "-g", "rg", "-n", "c") as
// `tagwall` would and returns the exit status. Tests use it; the binary
// registers Commands on its own root.
func Run(env Env, args []string, stdout, stderr io.Writer) int {
	root := &cobra.Command{Use: "tagwall", SilenceUsage: true, SilenceErrors: true}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(FlagError)
	root.AddCommand(Commands(env)...)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	fmt.Fprintf(stderr, "ERROR: %v\n", err)
	return 2
}

// FlagError prints a command-line error as az's parser does and returns
// exit status 2.
func FlagError(c *cobra.Command, err error) error {
	fmt.Fprintf(c.ErrOrStderr(), "ERROR: %s\n", strings.TrimPrefix(err.Error(), "flag: "))
	return &ExitError{Code: 2}
}

// app holds one invocation's global flags and environment.
type app struct {
	env Env
	cmd *cobra.Command // the command being run, set by command

	output         string
	query          string
	subscription   string
	endpoint       string
	onlyShowErrors bool
	verbose        bool
	debug          bool
}

func (a *app) addGlobalFlags(c *cobra.Command) {
	f := c.PersistentFlags()
	f.StringVarP(&a.output, "output", "o", "json", "Output format: json, jsonc, table, tsv, yaml, yamlc, none")
	f.StringVar(&a.query, "query", "", "JMESPath query string")
	f.StringVar(&a.subscription, "subscription", "", "Subscription id (default: the client config's)")
	f.StringVar(&a.endpoint, "endpoint", "", "tagwall API endpoint (default: $TAGWALL_ENDPOINT, then the client config's)")
	f.BoolVar(&a.onlyShowErrors, "only-show-errors", false, "Only show errors, suppressing warnings")
	f.BoolVar(&a.verbose, "verbose", false, "Increase logging verbosity")
	f.BoolVar(&a.debug, "debug", false, "Show all debug logs, with HTTP requests and responses (token redacted)")
}

// command finishes c as an az-style command: positional arguments are
// refused by a cobra Args validator (az's "unrecognized arguments"), and
// RunE checks the output format, runs body, prints its result or its error
// as az does, and returns *ExitError on failure. body is the command's
// typed run function bound to its args struct.
func (a *app) command(c *cobra.Command, table tableTransform, body func(context.Context) (any, error)) *cobra.Command {
	c.Args = a.noArgs
	c.RunE = func(c *cobra.Command, _ []string) error {
		a.cmd = c
		start := time.Now()
		if !validOutput(a.output) {
			return a.fail(usage("argument --output/-o: invalid choice: '%s' (choose from '%s')", a.output, strings.Join(outputFormats, "', '")))
		}
		v, err := body(c.Context())
		if err != nil {
			return a.fail(err)
		}
		if err := printResult(c.OutOrStdout(), v, a.output, a.query, table); err != nil {
			return a.fail(err)
		}
		if a.verbose || a.debug {
			fmt.Fprintf(c.ErrOrStderr(), "INFO: Command ran in %.3f seconds\n", time.Since(start).Seconds())
		}
		return nil
	}
	return c
}

// noArgs is every az-style command's cobra Args validator: az takes no
// positional arguments.
func (a *app) noArgs(c *cobra.Command, args []string) error {
	a.cmd = c
	if len(args) > 0 {
		return a.fail(usage("unrecognized arguments: %s", strings.Join(args, " ")))
	}
	return nil
}

func validOutput(f string) bool {
	for _, o := range outputFormats {
		if f == o {
			return true
		}
	}
	return false
}

// fail prints err as az does and returns the *ExitError carrying its status.
func (a *app) fail(err error) error {
	return &ExitError{Code: reportError(a.stderr(), err, a.debug)}
}

func (a *app) stdout() io.Writer { return a.cmd.OutOrStdout() }
func (a *app) stderr() io.Writer { return a.cmd.ErrOrStderr() }

// changed reports whether the running command's flag was given.
func (a *app) changed(name string) bool { return a.cmd.Flags().Changed(name) }

// warn prints az's "WARNING: …" unless --only-show-errors.
func (a *app) warn(format string, args ...any) {
	if a.onlyShowErrors {
		return
	}
	fmt.Fprintf(a.stderr(), "WARNING: "+format+"\n", args...)
}

// configPath is the client config file this invocation uses.
func (a *app) configPath() (string, error) {
	if a.env.ConfigPath != "" {
		return a.env.ConfigPath, nil
	}
	if p := a.env.getenv("TAGWALL_CONFIG"); p != "" {
		return p, nil
	}
	return clientconfig.DefaultPath()
}

// client resolves the endpoint, token, CA and subscription: flags first,
// then TAGWALL_* variables, then the client config file.
func (a *app) client() (*client, error) {
	c := a.cmd
	cfg := clientconfig.Config{}
	path, err := a.configPath()
	if err != nil {
		return nil, userError("%v", err)
	}
	loaded, lerr := clientconfig.Load(path)
	if lerr == nil {
		cfg = loaded
	}
	endpoint := firstNonEmpty(a.endpoint, a.env.getenv("TAGWALL_ENDPOINT"), cfg.Endpoint)
	if endpoint == "" {
		if lerr != nil {
			return nil, &cliError{code: 1, err: lerr, msg: lerr.Error()}
		}
		return nil, userError("no tagwall API endpoint: pass --endpoint or set TAGWALL_ENDPOINT")
	}
	base, err := url.Parse(endpoint)
	if err != nil || base.Host == "" {
		return nil, userError("parse endpoint %q: not an absolute URL", endpoint)
	}
	caFile := firstNonEmpty(a.env.getenv("TAGWALL_CA_FILE"), cfg.CAFile)
	if caFile != "" && !filepath.IsAbs(caFile) && lerr == nil && a.env.getenv("TAGWALL_CA_FILE") == "" {
		caFile = filepath.Join(filepath.Dir(path), caFile)
	}
	hc, err := newHTTPClient(caFile, a.env.Transport)
	if err != nil {
		return nil, userError("%v", err)
	}
	sub := firstNonEmpty(a.subscription, cfg.Subscription)
	if sub == "" {
		return nil, userError("no subscription: pass --subscription or start `tagwall serve` once to write the client config")
	}
	cl := &client{
		base:         base,
		token:        firstNonEmpty(a.env.getenv("TAGWALL_TOKEN"), cfg.Token),
		subscription: sub,
		http:         hc,
		commandName:  strings.TrimPrefix(c.CommandPath(), c.Root().Name()+" "),
		sleep:        a.env.Sleep,
	}
	if cl.sleep == nil {
		cl.sleep = time.Sleep
	}
	if a.debug {
		cl.debug = c.ErrOrStderr()
	}
	return cl, nil
}

// poller returns a poller for cl with progress shown only on a terminal.
func (a *app) poller(cl *client) *poller {
	p := &poller{c: cl, sleep: a.env.Sleep}
	if p.sleep == nil {
		p.sleep = time.Sleep
	}
	if a.env.StderrTTY && !a.onlyShowErrors {
		p.progress = a.stderr()
	}
	return p
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// required checks az-style required arguments: each spec is "--name/-n".
func (a *app) required(specs ...string) error {
	var missing []string
	for _, s := range specs {
		long, _, _ := strings.Cut(strings.TrimPrefix(s, "--"), "/")
		f := a.cmd.Flags().Lookup(long)
		if f == nil || !f.Changed {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		return usage("the following arguments are required: %s", strings.Join(missing, ", "))
	}
	return nil
}
