package main

import (
	"bytes"
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
