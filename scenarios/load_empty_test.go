package scenarios

import (
	"strings"
	"testing"
)

// An empty file (or one with only comments) used to be refused with the
// decoder's bare "not valid YAML: EOF", which does not say what to fix.
func TestParseEmptyFileSaysSo(t *testing.T) {
	for _, data := range []string{"", "\n\n", "# just a comment\n"} {
		_, err := Parse("e.yaml", []byte(data))
		if err == nil || !strings.Contains(err.Error(), "e.yaml: the file is empty") {
			t.Errorf("Parse(%q) = %v, want e.yaml: the file is empty...", data, err)
		}
	}
}
