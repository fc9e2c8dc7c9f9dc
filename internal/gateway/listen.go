package gateway

import (
	"context"
	"net"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ListenOptions are the front door's optional listener socket options.
// The zero value is Listen's behaviour.
type ListenOptions struct {
	// DeferAccept sets TCP_DEFER_ACCEPT: the kernel completes accept only
	// once the client's first bytes (PROXY header, ClientHello) have
	// arrived, so the first read finds them without a poller wake-up, and
	// a client that connects and sends nothing stays in the kernel's
	// queue for up to this long (then it is accepted as usual). Rounded up
	// to whole seconds; 0 leaves it off.
	DeferAccept time.Duration
	// ReusePort sets SO_REUSEPORT, so that several listeners (one per P,
	// each with its own Serve loop) share the port and the kernel spreads
	// connections over them.
	ReusePort bool
}

// ListenWith is Listen with opts applied to the listening socket.
func ListenWith(ctx context.Context, network, address string, opts ListenOptions) (net.Listener, error) {
	lc := net.ListenConfig{KeepAlive: -1, Control: opts.control}
	return lc.Listen(ctx, network, address)
}

// control sets the options on the socket before bind.
func (o ListenOptions) control(_, _ string, rc syscall.RawConn) error {
	var serr error
	err := rc.Control(func(fd uintptr) {
		if o.ReusePort {
			if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); serr != nil {
				return
			}
		}
		if o.DeferAccept > 0 {
			secs := int((o.DeferAccept + time.Second - 1) / time.Second)
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_DEFER_ACCEPT, secs)
		}
	})
	if err != nil {
		return err
	}
	return serr
}
