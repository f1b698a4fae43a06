package diagram

import (
	"strings"

	"github.com/rivo/uniseg"
)

// Style is what a cell means; the TUI maps it to colours, the CLI to ANSI
// attributes or nothing.
type Style uint8

const (
	Plain     Style = iota // lines, borders and text with nothing to say
	Dim                    // not on the latest message's path; ignored (a fanout key)
	Name                   // a box's name
	Matched                // a binding that matched, the path the message took
	Unmatched              // a binding considered that did not match
	Received               // a queue that got a copy
	Warning                // the broker and the model disagree; returned; missing
	Selected               // the item the user selected
	Token                  // a message on its way (animation)
)

func (s Style) String() string {
	return [...]string{"plain", "dim", "name", "matched", "unmatched", "received", "warning", "selected", "token"}[s]
}

// Cell is one terminal cell: a grapheme (one or two columns wide) and its
// style. The cell after a two-column grapheme has Text "".
type Cell struct {
	Text  string
	Style Style
}

// Canvas is a grid of cells, row by row.
type Canvas struct {
	Width, Height int
	Cells         []Cell
}

// NewCanvas is a canvas of spaces.
func NewCanvas(w, h int) *Canvas {
	c := &Canvas{Width: w, Height: h, Cells: make([]Cell, w*h)}
	for i := range c.Cells {
		c.Cells[i] = Cell{Text: " "}
	}
	return c
}

// At is the cell at column x, row y (a space outside the canvas).
func (c *Canvas) At(x, y int) Cell {
	if x < 0 || y < 0 || x >= c.Width || y >= c.Height {
		return Cell{Text: " "}
	}
	return c.Cells[y*c.Width+x]
}

func (c *Canvas) set(x, y int, s string, st Style) {
	if x < 0 || y < 0 || x >= c.Width || y >= c.Height {
		return
	}
	c.Cells[y*c.Width+x] = Cell{Text: s, Style: st}
}

func (c *Canvas) style(x, y int, st Style) {
	if x < 0 || y < 0 || x >= c.Width || y >= c.Height {
		return
	}
	c.Cells[y*c.Width+x].Style = st
}

// text writes s from column x on, at most max columns; it returns the
// columns written.
func (c *Canvas) text(x, y int, s string, st Style, max int) int {
	used := 0
	g := uniseg.NewGraphemes(s)
	for g.Next() {
		w := g.Width()
		if w == 0 {
			continue
		}
		if used+w > max {
			break
		}
		c.set(x+used, y, g.Str(), st)
		if w == 2 {
			c.set(x+used+1, y, "", st)
		}
		used += w
	}
	return used
}

// Lines are the canvas's rows as plain text, trailing spaces removed.
func (c *Canvas) Lines() []string {
	out := make([]string, c.Height)
	for y := 0; y < c.Height; y++ {
		var b strings.Builder
		for x := 0; x < c.Width; x++ {
			b.WriteString(c.Cells[y*c.Width+x].Text)
		}
		out[y] = strings.TrimRight(b.String(), " ")
	}
	return out
}

// String is the canvas as plain text, one line a row.
func (c *Canvas) String() string { return strings.Join(c.Lines(), "\n") + "\n" }

// ANSI is the canvas with ANSI colours and attributes, for a terminal.
func (c *Canvas) ANSI() string {
	var b strings.Builder
	for y := 0; y < c.Height; y++ {
		var line strings.Builder
		cur := Plain
		pending := 0 // spaces not yet written: trailing ones are dropped
		for x := 0; x < c.Width; x++ {
			cl := c.Cells[y*c.Width+x]
			if cl.Text == " " && (cl.Style == Plain || cl.Style == Dim || cl.Style == Name) {
				pending++
				continue
			}
			if cl.Style != cur {
				if cur != Plain {
					line.WriteString("\x1b[0m")
				}
				line.WriteString(strings.Repeat(" ", pending))
				pending = 0
				line.WriteString(ansi[cl.Style])
				cur = cl.Style
			}
			line.WriteString(strings.Repeat(" ", pending))
			pending = 0
			line.WriteString(cl.Text)
		}
		if cur != Plain {
			line.WriteString("\x1b[0m")
		}
		b.WriteString(line.String())
		b.WriteString("\n")
	}
	return b.String()
}

var ansi = [...]string{
	Plain:     "",
	Dim:       "\x1b[2m",
	Name:      "\x1b[1m",
	Matched:   "\x1b[32m",
	Unmatched: "\x1b[31m",
	Received:  "\x1b[1;32m",
	Warning:   "\x1b[1;33m",
	Selected:  "\x1b[7m",
	Token:     "\x1b[1;36m",
}
