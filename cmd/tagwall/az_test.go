package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAzExitStatus checks that the az-shaped commands' statuses and
// messages come through the binary's root unchanged (no "tagwall:" prefix).
func TestAzExitStatus(t *testing.T) {
	t.Setenv("TAGWALL_CONFIG", filepath.Join(t.TempDir(), "config.json"))
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{name: "missing argument", args: []string{"aks", "show", "-g", "rg"}, code: 2,
			stderr: "ERROR: the following arguments are required: --name/-n\n"},
		{name: "unknown flag", args: []string{"aks", "show", "--bogus"}, code: 2,
			stderr: "ERROR: unknown flag: --bogus\n"},
		{name: "client-side range check", args: []string{"aks", "create", "-g", "rg", "-n", "c", "--api-server-authorized-ip-ranges", "AzureCloud"}, code: 1,
			stderr: "ERROR: --api-server-authorized-ip-ranges should be a list of IPv4 addresses or CIDRs\n"},
		{name: "unknown extension", args: []string{"extension", "add", "--name", "nope"}, code: 1,
			stderr: "ERROR: No matching extensions for 'nope'. Use --debug for more information.\n"},
		{name: "extension add", args: []string{"extension", "add", "--name", "aks-preview"}, code: 0,
			stderr: "WARNING: The installed extension 'aks-preview' is in preview.\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var o, e bytes.Buffer
			code := run(tc.args, &o, &e)
			if code != tc.code || e.String() != tc.stderr || strings.Contains(e.String(), "tagwall:") {
				t.Errorf("exit %d stderr %q, want %d %q", code, e.String(), tc.code, tc.stderr)
			}
		})
	}
}

// TestUsageStatus checks that cobra's own refusals exit 2 through the Args
// validators and the FlagErrorFunc, with no matching of cobra's messages.
func TestUsageStatus(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string // substring of stderr
	}{
		{name: "unknown command", args: []string{"bogus"}, code: 2, want: `tagwall: unknown command "bogus" for "tagwall"`},
		{name: "too many args", args: []string{"check", "1.2.3.4", "5.6.7.8", "--ranges", ""}, code: 2, want: "accepts 1 arg(s), received 2"},
		{name: "unknown flag", args: []string{"check", "--bogus"}, code: 2, want: "unknown flag: --bogus"},
		{name: "no args wanted", args: []string{"az-env", "extra"}, code: 2, want: `unknown command "extra" for "tagwall az-env"`},
		{name: "help", args: nil, code: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var o, e bytes.Buffer
			if code := run(tc.args, &o, &e); code != tc.code || !strings.Contains(e.String(), tc.want) {
				t.Errorf("exit %d stderr %q, want %d and %q", code, e.String(), tc.code, tc.want)
			}
		})
	}
}

// TestNoInitRegistration: the binary's commands are the subcommands list
// in root.go and cli.Commands, never registered from an init function.
func TestNoInitRegistration(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "\nfunc init() {") {
			t.Errorf("%s registers from init: add its constructor to subcommands in root.go", f)
		}
	}
}
