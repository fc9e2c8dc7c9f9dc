//go:build linux

package testutil

import (
	"bytes"
	"os"
	"os/exec"
	"testing"

	"golang.org/x/sys/unix"
)

// InNetnsEnv marks a test binary re-executed inside a network namespace
// of its own; its value is the test to run there.
const InNetnsEnv = "TAGWALL_TEST_NETNS"

// InNetns runs the test named name in a fresh network namespace: it
// re-executes the test binary under `unshare -n` (with the extra wrapper
// arguments before it, for example to drop a capability) and reports its
// output. It returns true in the child, where the test body should run
// (loopback is up there: 127.0.0.0/8 and ::1 are local, so 127.0.0.2 and
// 127.0.0.3 serve as more clients); the parent returns false once the
// child has finished, failing or skipping as it did. It skips without
// root or unshare(1). The host's nftables and interfaces are never
// touched.
func InNetns(t *testing.T, name string, wrapper ...string) bool {
	t.Helper()
	if os.Getenv(InNetnsEnv) == name {
		bringUpLoopback(t)
		return true
	}
	if os.Geteuid() != 0 {
		t.Skip("skipped: the test needs root to create a network namespace (unshare -n)")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("skipped: unshare(1) not found; it creates the test's network namespace")
	}
	args := append([]string{"-n"}, wrapper...)
	args = append(args, os.Args[0], "-test.run", "^"+name+"$", "-test.v", "-test.count", "1")
	cmd := exec.Command(unshare, args...)
	cmd.Env = append(os.Environ(), InNetnsEnv+"="+name)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	t.Logf("in a new network namespace:\n%s", out.String())
	switch {
	case err != nil:
		t.Fatalf("test in network namespace: %v", err)
	case bytes.Contains(out.Bytes(), []byte("--- SKIP")):
		t.Skip("skipped in the network namespace (see the log)")
	}
	return false
}

// bringUpLoopback sets lo up in the current (new) namespace.
func bringUpLoopback(t *testing.T) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		t.Fatalf("get lo flags: %v", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		t.Logf("set lo up: %v (a test without CAP_NET_ADMIN needs no loopback)", err)
	}
}
