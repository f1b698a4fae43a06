package scenarios

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"
)

// FuzzParse feeds the scenario loader arbitrary bytes: it returns a
// scenario or a LoadErrors naming the file, quickly, and never panics.
func FuzzParse(f *testing.F) {
	files, _ := fs.Glob(builtinFS, "builtin/*.yaml")
	for _, file := range files {
		if b, err := builtinFS.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("a: &a [*a]"))
	f.Add([]byte("name: x\nsteps: [{publish: {headers: {h: !long 9999999999999999999}}}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		sc, err := Parse("fuzz.yaml", data)
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("Parse took %v on %d bytes", d, len(data))
		}
		if err != nil {
			var le LoadErrors
			if !errors.As(err, &le) || len(le) == 0 || !strings.Contains(err.Error(), "fuzz.yaml") {
				t.Fatalf("error %v (%T) is not a LoadErrors naming the file", err, err)
			}
			return
		}
		if sc == nil || sc.File != "fuzz.yaml" {
			t.Fatalf("no error and scenario %+v", sc)
		}
	})
}
