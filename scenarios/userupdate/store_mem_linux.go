package userupdate

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// memoryFile is the file behind an in-memory store: an anonymous memfd,
// so bbolt works on RAM, and nothing is left behind on disk, whatever the
// way the process ends.
func memoryFile(name string) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("create an in-memory file (memfd_create): %w", err)
	}
	return os.NewFile(uintptr(fd), name), nil
}
