package scenarios

import (
	"strings"
	"unicode"
)

// terminalText makes text from a scenario file safe to print on a
// terminal: escape sequences (CSI "\x1b[...", OSC "\x1b]...", and the
// rest) and every other control character but newline and tab are
// removed, so that a file cannot move the cursor, recolour, retitle or
// clear the screen of whoever plays it.
func terminalText(s string) string {
	clean := true
	for _, r := range s {
		if isControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == 0x1b && i+1 < len(rs) && rs[i+1] == '[':
			// CSI: parameters and intermediates up to a final byte @..~
			i += 2
			for i < len(rs) && (rs[i] < 0x40 || rs[i] > 0x7e) {
				i++
			}
		case r == 0x1b && i+1 < len(rs) && strings.ContainsRune("]PX^_", rs[i+1]):
			// OSC, DCS, SOS, PM, APC: up to BEL or ST (ESC \)
			i += 2
			for i < len(rs) && rs[i] != 0x07 && !(rs[i] == 0x1b && i+1 < len(rs) && rs[i+1] == '\\') {
				i++
			}
			if i < len(rs) && rs[i] == 0x1b {
				i++
			}
		case r == 0x1b && i+1 < len(rs):
			i++ // a two-character escape
		case isControl(r):
			// dropped
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isControl(r rune) bool {
	return r != '\n' && r != '\t' && (unicode.IsControl(r) || r == 0x7f)
}
