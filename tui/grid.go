package tui

import (
	"fmt"
	"strconv"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// Queue panes are laid out in as many columns as fit (each at least
// minPaneWidth wide) and as many rows as fit (each at least minPaneHeight
// high). A scenario with more queues than fit shows a window of them that
// always holds the focused pane, so 80x24 stays readable with seven queues.
const (
	minPaneWidth  = 26
	minPaneHeight = 5
)

// queueGrid is a container for the queue panes; like tview.Flex it passes
// keys to the focused child and mouse events to the child under the mouse.
type queueGrid struct {
	*tview.Box
	th      *theme
	panes   []*queuePane
	first   int // index of the first pane shown
	visible []*queuePane
}

func newQueueGrid(th *theme) *queueGrid { return &queueGrid{Box: tview.NewBox(), th: th} }

func (g *queueGrid) setPanes(p []*queuePane) {
	g.panes = p
	g.first = 0
	g.visible = nil
}

func (g *queueGrid) Draw(screen tcell.Screen) {
	g.Box.DrawForSubclass(screen, g)
	x, y, w, h := g.GetInnerRect()
	n := len(g.panes)
	g.visible = g.visible[:0]
	if n == 0 {
		if h > 0 {
			tview.Print(screen, " no queues declared", x, y, w, tview.AlignLeft, tcell.ColorDefault)
		}
		return
	}
	if h <= 0 {
		return
	}
	cols := max(1, min(n, w/minPaneWidth))
	rows := max(1, min((n+cols-1)/cols, h/minPaneHeight))
	capacity := cols * rows
	// Keep the focused pane in the window.
	for i, p := range g.panes {
		if p.table.HasFocus() {
			if i < g.first {
				g.first = i
			} else if i >= g.first+capacity {
				g.first = i - capacity + 1
			}
		}
	}
	g.first = max(0, min(g.first, n-capacity))
	shown := min(capacity, n-g.first)
	rowsUsed := (shown + cols - 1) / cols
	for k := 0; k < shown; k++ {
		p := g.panes[g.first+k]
		r, c := k/cols, k%cols
		inRow := cols
		if r == rowsUsed-1 && shown%cols != 0 {
			inRow = shown % cols // the last row's panes share its width
		}
		px := x + c*w/inRow
		pw := x + (c+1)*w/inRow - px
		py := y + r*h/rowsUsed
		ph := y + (r+1)*h/rowsUsed - py
		p.table.SetRect(px, py, pw, ph)
		p.table.SetTitle(p.title(pw - 2))
		p.table.Draw(screen)
		// What does not fit is said on the bottom border.
		rowOff, _ := p.table.GetOffset()
		if below := len(p.content.rows) - rowOff - max(0, ph-3); below > 0 && ph >= 3 && pw > 10 {
			tview.Print(screen, g.th.text("[yellow]"+fmt.Sprintf(" %d more ↓ ", below)+"[-]"), px+1, py+ph-1, pw-2, tview.AlignLeft, tcell.ColorDefault)
		}
		g.visible = append(g.visible, p)
	}
	if shown < n {
		tview.Print(screen, g.th.text("[yellow]"+tview.Escape(
			" queue panes "+itoa(g.first+1)+"-"+itoa(g.first+shown)+" of "+itoa(n)+" (Tab) ")+"[-]"), x, y+h-1, w, tview.AlignRight, tcell.ColorDefault)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func (g *queueGrid) Focus(delegate func(p tview.Primitive)) {
	if len(g.panes) > 0 {
		delegate(g.panes[0].table)
		return
	}
	g.Box.Focus(delegate)
}

func (g *queueGrid) HasFocus() bool {
	for _, p := range g.panes {
		if p.table.HasFocus() {
			return true
		}
	}
	return g.Box.HasFocus()
}

func (g *queueGrid) InputHandler() func(event *tcell.EventKey, setFocus func(p tview.Primitive)) {
	return g.WrapInputHandler(func(event *tcell.EventKey, setFocus func(p tview.Primitive)) {
		for _, p := range g.panes {
			if p.table.HasFocus() {
				p.table.InputHandler()(event, setFocus)
				return
			}
		}
	})
}

func (g *queueGrid) MouseHandler() func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
	return g.WrapMouseHandler(func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
		if !g.InRect(event.Position()) {
			return false, nil
		}
		for _, p := range g.visible {
			if consumed, capture := p.table.MouseHandler()(action, event, setFocus); consumed {
				return true, capture
			}
		}
		return false, nil
	})
}
