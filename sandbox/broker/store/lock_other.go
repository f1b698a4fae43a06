//go:build !unix

package store

import (
	"fmt"
	"os"
	"path/filepath"
)

// lockDir creates dir/LOCK; without flock, two brokers on one directory
// are not detected here.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	return f, nil
}
