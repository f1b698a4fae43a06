package tui

import (
	"strings"

	"github.com/rivo/tview"

	"github.com/warrenmq/warren/tui/cells"
)

// Text laid out by Warren itself rather than by tview's wrapping, so that
// it knows how many lines a pane needs (the layout gives each pane what it
// needs) and how many are off screen (the "+3 more ↓" marks), and so that
// a continuation line is indented under what it continues. Words are never
// cut: one longer than the line is broken with a "…" at the break.

// span is a piece of text drawn with one colour tag ("" = plain). The text
// is plain (not escaped): wrap escapes it.
type span struct {
	tag, text string
}

// width is the number of cells s takes on screen (s plain, no tags).
func width(s string) int { return cells.Width(s) }

// fit cuts plain s to at most w cells, marking a cut with "…".
func fit(s string, w int) string { return cells.Fit(s, w) }

// pad is plain s padded with spaces to w cells (cut with "…" if longer).
func pad(s string, w int) string {
	s = fit(s, w)
	return s + strings.Repeat(" ", max(0, w-width(s)))
}

// word is one word of a span, with its tag.
type word struct {
	tag, text string
	w         int
}

// wrap lays spans out in lines of at most lineWidth cells. The first line
// starts after first (already tagged, firstWidth cells wide, never
// wrapped); the following lines are indented by hang spaces. It returns
// tview-tagged lines.
func wrap(first string, firstWidth int, spans []span, lineWidth, hang int) []string {
	var words []word
	for _, s := range spans {
		for _, f := range strings.Fields(s.text) {
			words = append(words, word{tag: s.tag, text: f, w: width(f)})
		}
	}
	if lineWidth < hang+4 {
		hang = 0
	}
	var lines []string
	var b strings.Builder
	b.WriteString(first)
	used, start := firstWidth, firstWidth
	emit := func() {
		lines = append(lines, strings.TrimRight(b.String(), " "))
		b.Reset()
		b.WriteString(strings.Repeat(" ", hang))
		used, start = hang, hang
	}
	put := func(w word) {
		if w.tag != "" {
			b.WriteString(w.tag + tview.Escape(w.text) + "[-::-]")
		} else {
			b.WriteString(tview.Escape(w.text))
		}
		used += w.w
	}
	for _, w := range words {
		sep := 0
		if used > start {
			sep = 1
		}
		if used+sep+w.w > lineWidth && used > start {
			emit()
			sep = 0
		}
		if sep == 1 {
			b.WriteByte(' ')
			used++
		}
		// A word longer than a whole line is broken, marked with "…".
		for used+w.w > lineWidth && lineWidth-used > 1 {
			room := lineWidth - used - 1
			head := fit(w.text, room+1) // room cells and the "…"
			head = strings.TrimSuffix(head, "…")
			put(word{tag: w.tag, text: head + "…", w: width(head) + 1})
			w.text = strings.TrimPrefix(w.text, head)
			w.w = width(w.text)
			emit()
		}
		put(w)
	}
	if used > start || len(lines) == 0 || firstWidth > 0 {
		lines = append(lines, strings.TrimRight(b.String(), " "))
	}
	return lines
}

// wrapPlain wraps plain text (one colour tag for all of it) with a hanging
// indent.
func wrapPlain(tag, text string, lineWidth, hang int) []string {
	return wrap("", 0, []span{{tag, text}}, lineWidth, hang)
}

// wrapParagraphs wraps text that has paragraphs and indented lines (a
// scenario's about): blank lines are kept, a line indented in the source
// starts a line of its own and keeps its indentation.
func wrapParagraphs(text string, lineWidth int) []string {
	var out []string
	var para []string
	flush := func() {
		if len(para) > 0 {
			out = append(out, wrapPlain("", strings.Join(para, " "), lineWidth, 0)...)
			para = nil
		}
	}
	for _, line := range strings.Split(strings.TrimRight(text, "\n "), "\n") {
		trimmed := strings.TrimLeft(line, " ")
		switch {
		case strings.TrimSpace(line) == "":
			flush()
			out = append(out, "")
		case len(trimmed) < len(line) && width(line) <= lineWidth:
			flush()
			out = append(out, tview.Escape(line)) // its own spacing (a table) kept
		case len(trimmed) < len(line):
			flush()
			ind := len(line) - len(trimmed)
			out = append(out, wrap(strings.Repeat(" ", ind), ind, []span{{"", trimmed}}, lineWidth, ind+2)...)
		default:
			para = append(para, trimmed)
		}
	}
	flush()
	return out
}
