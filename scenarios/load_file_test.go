package scenarios

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// LoadFile used to os.ReadFile whatever it was given: a directory gave
// "read X: is a directory", /dev/zero or a FIFO blocked for ever (and since
// warren catches SIGINT/SIGTERM for its clean-up, Ctrl-C could not stop it),
// and a huge file was read whole into memory.
func TestLoadFileRefusesWhatIsNotAScenarioFile(t *testing.T) {
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.yaml")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(maxScenarioFile + 1); err != nil { // sparse: costs no disk
		t.Fatal(err)
	}
	f.Close()
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ path, want string }{
		{dir, "is a directory"},
		{huge, "is 16777217 bytes"},
		{fifo, "is not a regular file"},
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		cases = append(cases, struct{ path, want string }{"/dev/zero", "is not a regular file"})
	}
	for _, tc := range cases {
		_, err := LoadFile(tc.path)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.path) {
			t.Errorf("LoadFile(%s) = %v, want an error naming it and saying %q", tc.path, err, tc.want)
		}
		if _, err := Lookup(tc.path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Lookup(%s) = %v, want %q", tc.path, err, tc.want)
		}
	}
}
