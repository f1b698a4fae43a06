//go:build linux

package broker

import (
	"io"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// unreadBytes is how many bytes the kernel holds for nc that nobody has
// read yet (SIOCINQ, which is FIONREAD).
func unreadBytes(nc net.Conn) int {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return 0
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0
	}
	n := 0
	rc.Control(func(fd uintptr) { n, _ = unix.IoctlGetInt(int(fd), unix.TIOCINQ) })
	return n
}

// rawConnOf is a TCP connection's raw descriptor (nil for others, TLS).
func rawConnOf(nc net.Conn) syscall.RawConn {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// rawRead reads as net.Conn's Read does (the poller waits, deadlines
// hold), taking the bytes from the kernel and counting them under
// readMu: Settle, under the same lock, sees them either in the kernel or
// in got.
func (r countingReader) rawRead(p []byte) (int, error) {
	var n int
	var rerr error
	err := r.raw.Read(func(fd uintptr) bool {
		r.c.readMu.Lock()
		for {
			n, rerr = syscall.Read(int(fd), p)
			if rerr != syscall.EINTR {
				break
			}
		}
		if n > 0 {
			r.c.got.Add(int64(n))
		}
		r.c.readMu.Unlock()
		return rerr != syscall.EAGAIN
	})
	switch {
	case err != nil:
		return 0, err
	case rerr != nil:
		return 0, &net.OpError{Op: "read", Net: "tcp", Err: rerr}
	case n == 0 && len(p) > 0:
		return 0, io.EOF
	}
	return n, nil
}
