//go:build !linux

package userupdate

import "os"

// memoryFile is the file behind an in-memory store where there is no
// memfd: a file in the temporary directory, removed at once (on Unix the
// open file lives on until it is closed). It is never synced, so it stays
// in the page cache unless the system runs short of memory. Where an open
// file cannot be removed (Windows), it is left for the system's clean-up
// of the temporary directory.
func memoryFile(name string) (*os.File, error) {
	f, err := os.CreateTemp("", name+"-*.db")
	if err != nil {
		return nil, err
	}
	_ = os.Remove(f.Name())
	return f, nil
}
