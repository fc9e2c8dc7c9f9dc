package prefilter

import (
	"errors"
	"net"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/tagwall/tagwall/internal/testutil"
)

// inNetnsEnv and inNetns are testutil's (shared with cmd/tagwall's serve
// test).
const inNetnsEnv = testutil.InNetnsEnv

func inNetns(t *testing.T, name string, wrapper ...string) bool {
	t.Helper()
	return testutil.InNetns(t, name, wrapper...)
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
