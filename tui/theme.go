package tui

import (
	"regexp"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// The theme: readable on a light or a dark terminal and on a projector.
//
// Text and backgrounds are the terminal's own (tcell.ColorDefault), so a
// light terminal stays light and a dark one dark. The few colours that
// carry meaning (matched, not matched, a warning, a hint) are saturated
// mid-luminance ones, about 4.5:1 against black and against white alike;
// there is no gray text, no yellow (unreadable on white) and no white
// (invisible on white). Focus and selection are reverse video. Meaning
// never rests on colour alone: ✓ ✗ ! H R and the words say it, so with
// NO_COLOR (https://no-color.org) there are no colours at all, only bold,
// underline and reverse.
//
// Code writes tview's colour tags by meaning, with the names below
// ("[green]" = good, "[red]" = bad, "[yellow]" or "[orange]" = take
// note, "[aqua]" = a key or a hint, "[gray]" and "[white]" = plain text),
// and every text passes through theme.text before it reaches a widget,
// which turns them into this theme's colours (or none).

// tone is a log line's meaning; its value is the tag name it is drawn with.
type tone = string

const (
	colText tone = "white"
	colDim  tone = "gray"
	colOK   tone = "green"
	colBad  tone = "red"
	colWarn tone = "yellow"
	colInfo tone = "aqua"
	colHead tone = "orange"
)

// The palette: 256-colour xterm values, mid-luminance.
var palette = map[string]string{
	"green":  "#008700",
	"red":    "#d70000",
	"yellow": "#af5f00",
	"orange": "#af5f00",
	"aqua":   "#008787",
	"gray":   "-",
	"white":  "-",
}

func init() {
	// tview's defaults paint a black background and white, gray and blue
	// text: unreadable on a light terminal. Everything takes the
	// terminal's colours; widgets that need contrast (selection, input
	// fields) use reverse video or underline, set where they are built.
	tview.Styles = tview.Theme{
		PrimitiveBackgroundColor:    tcell.ColorDefault,
		ContrastBackgroundColor:     tcell.ColorDefault,
		MoreContrastBackgroundColor: tcell.ColorDefault,
		BorderColor:                 tcell.ColorDefault,
		TitleColor:                  tcell.ColorDefault,
		GraphicsColor:               tcell.ColorDefault,
		PrimaryTextColor:            tcell.ColorDefault,
		SecondaryTextColor:          tcell.ColorDefault,
		TertiaryTextColor:           tcell.ColorDefault,
		InverseTextColor:            tcell.ColorDefault,
		ContrastSecondaryTextColor:  tcell.ColorDefault,
	}
}

// theme draws the screen's colours; noColor draws none (NO_COLOR).
type theme struct {
	noColor bool
}

// tagRE matches the colour tags Warren writes: [fg], [fg:bg], [fg:bg:attrs].
// Escaped text ("[red[]", tview.Escape) never matches.
var tagRE = regexp.MustCompile(`\[([a-z]*|-|#[0-9a-fA-F]{6})(?::([a-z]*|-)?(?::([a-zA-Z]*|-))?)?\]`)

// text rewrites the colour tags in s for the theme.
func (th theme) text(s string) string {
	if !strings.Contains(s, "[") {
		return s
	}
	return tagRE.ReplaceAllStringFunc(s, func(tag string) string {
		m := tagRE.FindStringSubmatch(tag)
		fg, attrs := m[1], m[3]
		hasAttrs := strings.Count(tag, ":") == 2
		if th.noColor {
			switch fg {
			case "":
			case "-":
				if !hasAttrs {
					return "[-::-]" // ends what a colour turned into
				}
				fg = "-"
			case "green", "red":
				fg, attrs, hasAttrs = "-", joinAttrs(attrs, "b"), true
			case "yellow", "orange":
				fg, attrs, hasAttrs = "-", joinAttrs(attrs, "u"), true
			default:
				fg = "-"
			}
		} else if c, ok := palette[fg]; ok {
			fg = c
		}
		if hasAttrs {
			return "[" + fg + "::" + attrs + "]"
		}
		return "[" + fg + "]"
	})
}

func joinAttrs(a, b string) string {
	if a == "" || a == "-" {
		return b
	}
	return a + b
}

// color is a cell colour by meaning (the names above).
func (th theme) color(name string) tcell.Color {
	if th.noColor {
		return tcell.ColorDefault
	}
	c, ok := palette[name]
	if !ok || c == "-" {
		return tcell.ColorDefault
	}
	return tcell.GetColor(c)
}

// style is a cell style by meaning: the colour, or under NO_COLOR bold
// for good and bad and underline for a warning.
func (th theme) style(name string) tcell.Style {
	st := tcell.StyleDefault
	if !th.noColor {
		return st.Foreground(th.color(name))
	}
	switch name {
	case "green", "red":
		return st.Bold(true)
	case "yellow", "orange":
		return st.Underline(true)
	}
	return st
}

// selected is how a selected list item or table row is drawn.
func (th theme) selected() tcell.Style { return tcell.StyleDefault.Reverse(true) }

// field is how an input field is drawn: underlined, so that it shows as a
// place to type on any background.
func (th theme) field() tcell.Style { return tcell.StyleDefault.Underline(true) }
