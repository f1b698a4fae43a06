package tui

import (
	"fmt"

	"github.com/rivo/tview"

	"github.com/warrenmq/warren/sandbox"
)

// statusText is the bottom line: broker, connection state, what the
// worker is doing, the keys of the focused pane and the server. What does
// not fit the width is left out whole, least important first, never cut.
// Callers hold m.mu.
func (a *App) statusText() string {
	m := a.m
	color := "green"
	if m.state != sandbox.Connected {
		color = "red"
	}
	type part struct {
		text  string // tagged
		plain string
	}
	mk := func(tag, text string) part { return part{tag + tview.Escape(text) + "[-::-]", text} }
	parts := []part{
		{"[::b]" + tview.Escape(m.broker) + "[::-] [" + color + "]" + string(m.state) + "[-]", m.broker + " " + string(m.state)},
	}
	if s := m.quizScoreLocked(); s != "" {
		parts = append(parts, mk("[aqua::b]", "quiz "+s))
	}
	if m.busy != "" {
		parts = append(parts, mk("[yellow]", m.busy+"..."))
	}
	parts = append(parts, mk("", "? help  d diagram  q quit"))
	if m.dropped > 0 {
		parts = append(parts, mk("[orange]", fmt.Sprintf("%d events dropped (flood)", m.dropped)))
	}
	if h := a.paneHint(); h != "" {
		parts = append(parts, mk("[aqua]", h))
	}
	if a.cfg.NameSuffix != "" {
		parts = append(parts, mk("", "names +"+a.cfg.NameSuffix))
	}
	if m.version != "" {
		parts = append(parts, mk("", m.version))
	}
	w := a.ui.screenW
	if w <= 0 {
		w = 80
	}
	out, used := "", 0
	for i, p := range parts {
		n := width(p.plain) + 1
		if i > 0 {
			n += 2
		}
		if i > 0 && used+n > w {
			continue
		}
		if i > 0 {
			out += " ·"
		}
		out += " " + p.text
		used += n
	}
	return out
}
