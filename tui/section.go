package tui

import (
	"fmt"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// section is a full-width pane: a rule with its title on top, then lines
// Warren laid out itself (text.go), so that it spends no columns on side
// borders and knows exactly what is off screen. What does not fit scrolls
// (↑↓ PgUp PgDn Home End, or the mouse wheel, once it has the focus), and
// the rule says how much is hidden: "↑ 2 · 3 more ↓".
type section struct {
	*tview.Box
	th     *theme
	title  string   // tagged
	lines  []string // tagged, one per screen line
	offset int      // first line shown
	follow bool     // keep the last line in view (a log) while pinned
	pinned bool     // the user has not scrolled away from the end
	shown  int      // lines the last draw had room for
	boxed  bool     // drawn in a box with its title (a page), not under a rule
}

func newSection(th *theme, title string, follow bool) *section {
	return &section{Box: tview.NewBox(), th: th, title: title, follow: follow, pinned: true}
}

// setLines replaces the content (tagged lines, themed here once rather
// than at every draw). A following section stays at its end unless the
// user scrolled up.
func (s *section) setLines(lines []string) {
	for i, l := range lines {
		lines[i] = s.th.text(l)
	}
	s.setThemed(lines)
}

// setThemed is setLines for lines already passed through theme.text.
func (s *section) setThemed(lines []string) {
	s.lines = lines
	s.clamp()
}

func (s *section) clamp() {
	s.offset = max(0, min(s.offset, len(s.lines)-max(1, s.shown)))
}

// hidden says how many lines are above and below what is shown.
func (s *section) hidden() (above, below int) {
	return s.offset, max(0, len(s.lines)-s.offset-s.shown)
}

func (s *section) Draw(screen tcell.Screen) {
	if s.boxed {
		s.drawBoxed(screen)
		return
	}
	s.Box.DrawForSubclass(screen, s)
	x, y, w, h := s.GetRect()
	if w <= 0 || h <= 0 {
		return
	}
	s.shown = h - 1
	if s.follow && s.pinned {
		s.offset = len(s.lines)
	}
	s.clamp()

	rule := "─"
	style := tcell.StyleDefault
	if s.HasFocus() {
		rule = "━"
		style = style.Bold(true)
	}
	for i := 0; i < w; i++ {
		screen.SetContent(x+i, y, []rune(rule)[0], nil, style)
	}
	above, below := s.hidden()
	var more []string
	if above > 0 {
		more = append(more, fmt.Sprintf("↑ %d", above))
	}
	if below > 0 {
		more = append(more, fmt.Sprintf("%d more ↓", below))
	}
	right := ""
	if len(more) > 0 {
		right = " " + strings.Join(more, " · ") + " "
	}
	title := s.title
	if s.HasFocus() {
		title = "[::b]" + title + "[::-]"
	}
	tw := w - 2 - width(right) - 1
	tview.Print(screen, s.th.text(" "+title+" "), x+2, y, max(0, tw), tview.AlignLeft, tcell.ColorDefault)
	if right != "" {
		tview.Print(screen, s.th.text("[yellow]"+right+"[-]"), x, y, w-1, tview.AlignRight, tcell.ColorDefault)
	}
	for i := 0; i < s.shown && s.offset+i < len(s.lines); i++ {
		tview.Print(screen, s.lines[s.offset+i], x, y+1+i, w, tview.AlignLeft, tcell.ColorDefault)
	}
}

// drawBoxed draws the section as a page: a box with the title on its top
// border and what is off screen on its bottom one.
func (s *section) drawBoxed(screen tcell.Screen) {
	s.SetBorder(true).SetTitle(" " + s.th.text(s.title) + " ")
	s.Box.DrawForSubclass(screen, s)
	x, y, w, h := s.GetInnerRect()
	if w <= 0 || h <= 0 {
		return
	}
	s.shown = h
	s.clamp()
	for i := 0; i < s.shown && s.offset+i < len(s.lines); i++ {
		tview.Print(screen, s.lines[s.offset+i], x, y+i, w, tview.AlignLeft, tcell.ColorDefault)
	}
	above, below := s.hidden()
	var more []string
	if above > 0 {
		more = append(more, fmt.Sprintf("↑ %d", above))
	}
	if below > 0 {
		more = append(more, fmt.Sprintf("%d more ↓", below))
	}
	if len(more) > 0 {
		tview.Print(screen, s.th.text("[yellow] "+strings.Join(more, " · ")+" [-]"), x, y+h, w-1, tview.AlignRight, tcell.ColorDefault)
	}
}

func (s *section) scroll(n int) {
	s.offset += n
	s.clamp()
	s.pinned = s.offset+s.shown >= len(s.lines)
}

func (s *section) InputHandler() func(event *tcell.EventKey, setFocus func(p tview.Primitive)) {
	return s.WrapInputHandler(func(ev *tcell.EventKey, _ func(p tview.Primitive)) {
		page := max(1, s.shown-1)
		switch ev.Key() {
		case tcell.KeyUp:
			s.scroll(-1)
		case tcell.KeyDown:
			s.scroll(1)
		case tcell.KeyPgUp:
			s.scroll(-page)
		case tcell.KeyPgDn:
			s.scroll(page)
		case tcell.KeyHome:
			s.scroll(-len(s.lines))
		case tcell.KeyEnd:
			s.scroll(len(s.lines))
		}
	})
}

func (s *section) MouseHandler() func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
	return s.WrapMouseHandler(func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
		if !s.InRect(event.Position()) {
			return false, nil
		}
		switch action {
		case tview.MouseLeftClick:
			setFocus(s)
		case tview.MouseScrollUp:
			s.scroll(-1)
		case tview.MouseScrollDown:
			s.scroll(1)
		default:
			return false, nil
		}
		return true, nil
	})
}
