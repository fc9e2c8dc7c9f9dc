package prefilter

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"testing"

	"golang.org/x/sys/unix"
)

// inNetnsEnv marks a test binary re-executed inside a network namespace
// of its own; its value is the test to run there.
const inNetnsEnv = "TAGWALL_PREFILTER_NETNS"

// inNetns runs the test named name in a fresh network namespace: it
// re-executes the test binary under `unshare -n` (with the extra wrapper
// arguments before it, for example to drop a capability) and reports its
// output. It returns true in the child, where the test body should run;
// the parent returns false once the child has finished. The host's
// nftables and interfaces are never touched.
func inNetns(t *testing.T, name string, wrapper ...string) bool {
	t.Helper()
	if os.Getenv(inNetnsEnv) == name {
		bringUpLoopback(t)
		return true
	}
	if os.Geteuid() != 0 {
		t.Skip("skipped: the prefilter test needs root to create a network namespace (unshare -n)")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("skipped: unshare(1) not found; it creates the test's network namespace")
	}
	args := append([]string{"-n"}, wrapper...)
	args = append(args, os.Args[0], "-test.run", "^"+name+"$", "-test.v", "-test.count", "1")
	cmd := exec.Command(unshare, args...)
	cmd.Env = append(os.Environ(), inNetnsEnv+"="+name)
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

// bringUpLoopback sets lo up in the current (new) namespace: 127.0.0.0/8
// and ::1 are then local, so 127.0.0.2 and 127.0.0.3 serve as two clients.
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

// skipIfNoNftables skips when the kernel has no nf_tables support.
func skipIfNoNftables(t *testing.T, err error) {
	t.Helper()
	for _, e := range []error{unix.ENOENT, unix.EOPNOTSUPP, unix.EPROTONOSUPPORT, unix.EAFNOSUPPORT} {
		if errors.Is(err, e) {
			t.Skipf("skipped: nftables unavailable in this kernel: %v", err)
		}
	}
}

// dialFrom connects from the local address src to dst.
func dialFrom(src string, dst net.Addr, d *net.Dialer) (net.Conn, error) {
	dd := *d
	dd.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
	return dd.Dial("tcp", dst.String())
}
