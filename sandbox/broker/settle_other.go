//go:build !linux

package broker

import (
	"net"
	"syscall"
)

// unreadBytes cannot look into the kernel here: Settle relies on what the
// reader has read.
func unreadBytes(net.Conn) int { return 0 }

func rawConnOf(net.Conn) syscall.RawConn { return nil }

func (r countingReader) rawRead([]byte) (int, error) { panic("unreachable") }
