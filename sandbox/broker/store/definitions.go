package store

import (
	"fmt"
	"os"
	"path/filepath"
)

const definitionsFile = "definitions.json"

// SaveDefinitions replaces the definitions file with data, atomically: after
// a crash the file holds either the old bytes or the new ones, whole. It
// returns once the new bytes are on disk.
func (s *Store) SaveDefinitions(data []byte) error {
	final := filepath.Join(s.dir, definitionsFile)
	tmp := final + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("store: write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("store: fsync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return syncDir(s.dir)
}
