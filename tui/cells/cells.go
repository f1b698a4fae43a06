package cells

import (
	"strings"

	"github.com/rivo/uniseg"
)

// Width is the number of terminal cells s takes.
func Width(s string) int { return uniseg.StringWidth(s) }

// Fit cuts s to at most w cells, ending in '…' when it had to cut; s
// unchanged when it fits, "" when w <= 0. A wide rune is never split.
func Fit(s string, w int) string {
	if Width(s) <= w {
		return s
	}
	if w <= 0 {
		return ""
	}
	var b strings.Builder
	used := 0
	g := uniseg.NewGraphemes(s)
	for g.Next() {
		cw := g.Width()
		if used+cw > w-1 {
			break
		}
		b.WriteString(g.Str())
		used += cw
	}
	return b.String() + "…"
}
