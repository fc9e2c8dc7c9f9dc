package gateway

import (
	"io"
	"net"
	"sync"
	"syscall"
)

const (
	// copyBufSize is the pooled buffer of the read/write phase: one TLS
	// record.
	copyBufSize = 16 << 10
	// spliceAfter is how many bytes a direction moves by read and write
	// before it hands over to io.Copy between the raw connections, which
	// splices through a pipe. Handshake-sized exchanges never pay for the
	// pipe; bulk streams still splice.
	spliceAfter = 64 << 10
)

var copyBufs = sync.Pool{New: func() any { return new([copyBufSize]byte) }}

// pump copies src to dst until src's EOF (nil error) or an error on either
// side, and returns the bytes written. The first spliceAfter bytes go
// through a pooled buffer that is held only while data is in hand (never
// while waiting for src), the rest through io.Copy.
func pump(dst, src *net.TCPConn) (int64, error) {
	rc, err := src.SyscallConn()
	if err != nil {
		return 0, err
	}
	var (
		buf  *[copyBufSize]byte
		nr   int
		rerr error
	)
	read := func(fd uintptr) bool {
		if buf == nil {
			buf = copyBufs.Get().(*[copyBufSize]byte)
		}
		for {
			nr, rerr = syscall.Read(int(fd), buf[:])
			switch rerr {
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				copyBufs.Put(buf) // do not hold it while idle
				buf = nil
				return false
			}
			return true
		}
	}
	var n int64
	for n < spliceAfter {
		if err := rc.Read(read); err != nil {
			if buf != nil {
				copyBufs.Put(buf)
			}
			return n, err
		}
		if rerr != nil {
			copyBufs.Put(buf)
			return n, rerr
		}
		if nr == 0 {
			copyBufs.Put(buf)
			return n, nil // EOF
		}
		nw, werr := dst.Write(buf[:nr])
		copyBufs.Put(buf)
		buf = nil
		n += int64(nw)
		if werr != nil {
			return n, werr
		}
	}
	m, err := io.Copy(dst, src)
	return n + m, err
}
