package tui

import (
	"fmt"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/warrenmq/warren/sandbox"
)

// consumerView is a snapshot of one consumer, taken by the worker (the
// Session's bookkeeping is never read from the event loop).
type consumerView struct {
	Queue   string // the scenario's name for Spec.Queue
	Spec    sandbox.ConsumerSpec
	State   sandbox.ConsumerState
	Unacked int
	Held    []heldMsg // the oldest few it holds unacked
}

type heldMsg struct {
	Tag         uint64
	RoutingKey  string
	Redelivered bool
}

const maxHeldShown = 20

func viewOf(c sandbox.ConsumerInfo) consumerView {
	v := consumerView{Spec: c.Spec, State: c.State, Unacked: len(c.Unacked)}
	for i, d := range c.Unacked {
		if i == maxHeldShown {
			break
		}
		v.Held = append(v.Held, heldMsg{Tag: d.DeliveryTag, RoutingKey: d.RoutingKey, Redelivered: d.Redelivered})
	}
	return v
}

// queuePane shows one queue: counts and consumers in the title, the latest
// deliveries in the rows. The rows come from queueContent, a copy of the
// model's bounded buffer made at refresh time: the widget never owns the
// messages (tview's TableContent pattern).
type queuePane struct {
	name    string
	th      *theme
	table   *tview.Table
	content *queueContent
	parts   []string // the title's parts after the name, most important first
}

func newQueuePane(th *theme, name string) *queuePane {
	p := &queuePane{name: name, th: th, content: &queueContent{queue: name, th: th}}
	p.content.setColumns()
	p.table = tview.NewTable().SetContent(p.content).SetSelectable(true, false).SetFixed(1, 0).SetSelectedStyle(th.selected())
	p.table.SetBorder(true).SetTitle(" " + tview.Escape(name) + " ").SetTitleAlign(tview.AlignLeft)
	// The cursor shows which message a, n and x settle: on arrival, the
	// oldest one held (the one the broker gave out first).
	p.table.SetFocusFunc(p.selectOldestHeld)
	return p
}

// title is the pane's title for a width: the queue's name, then as many of
// its counts and consumers as fit whole (never cut in the middle).
func (p *queuePane) title(w int) string {
	t := " " + fit(p.name, max(1, w-2)) + " "
	for _, part := range p.parts {
		if width(t)+width(part)+1 > w {
			break
		}
		t += part + " "
	}
	return tview.Escape(t)
}

// update copies what the pane shows from the model. Called on the event
// loop with the model locked.
func (p *queuePane) update(q *queueModel, cons []consumerView) {
	if q == nil {
		return
	}
	ready, unacked := "?", 0
	if q.statsOK {
		ready = fmt.Sprint(q.stats.Ready)
	}
	for _, c := range cons {
		unacked += c.Unacked
	}
	p.parts = []string{fmt.Sprintf("r:%s u:%d", ready, unacked), "[" + consumerSummary(cons) + "]"}
	if q.delivered > 0 {
		// How many deliveries Warren's consumers got: what a flood did.
		p.parts = append(p.parts, fmt.Sprintf("got %d", q.delivered))
	}

	rows := p.content.rows[:0]
	// Newest first, so the latest message is at the top where it is seen.
	for i := q.rows.len() - 1; i >= 0; i-- {
		rows = append(rows, *q.rows.at(i))
	}
	p.content.rows = rows
	p.content.setColumns()
	p.content.held = map[string]bool{}
	for _, c := range cons {
		for _, h := range c.Held {
			p.content.held[heldKey(c.Spec.Name, h.Tag)] = true
		}
	}
}

// selectOldestHeld puts the cursor on the oldest held message, if any.
func (p *queuePane) selectOldestHeld() {
	for i := len(p.content.rows) - 1; i >= 0; i-- {
		r := p.content.rows[i]
		if p.content.held[heldKey(r.Consumer, r.Tag)] {
			p.table.Select(i+1, 0)
			return
		}
	}
}

func heldKey(consumer string, tag uint64) string { return fmt.Sprintf("%s/%d", consumer, tag) }

// selected returns the message row under the cursor, if any.
func (p *queuePane) selected() (msgRow, bool) {
	r, _ := p.table.GetSelection()
	if r < 1 || r > len(p.content.rows) {
		return msgRow{}, false
	}
	return p.content.rows[r-1], true
}

// queueContent is the table's data: a header and the copied rows.
type queueContent struct {
	tview.TableContentReadOnly
	th    *theme
	queue string
	rows  []msgRow
	held  map[string]bool
	// cols are the columns shown: "by" only once a consumer other than
	// the queue's observer got a message, "headers" only when a message
	// had some, so that narrow panes spend their width on what is there.
	cols []string
}

func (c *queueContent) setColumns() {
	by, headers := false, false
	for _, r := range c.rows {
		by = by || r.Consumer != c.queue
		headers = headers || r.Headers != ""
	}
	c.cols = append(c.cols[:0], "", "key")
	if by {
		c.cols = append(c.cols, "by")
	}
	if headers {
		c.cols = append(c.cols, "headers")
	}
	c.cols = append(c.cols, "body")
}

func (c *queueContent) GetRowCount() int    { return len(c.rows) + 1 }
func (c *queueContent) GetColumnCount() int { return len(c.cols) }

func (c *queueContent) GetCell(row, col int) *tview.TableCell {
	if col < 0 || col >= len(c.cols) {
		return nil
	}
	if row == 0 {
		return tview.NewTableCell(c.cols[col]).SetAttributes(tcell.AttrUnderline).SetSelectable(false)
	}
	if row > len(c.rows) {
		return nil
	}
	r := c.rows[row-1]
	switch c.cols[col] {
	case "":
		// R = redelivered; H = held unacked by a manual consumer; then the
		// ack outcome, if any.
		flag := ""
		if r.Redelivered {
			flag += "R"
		}
		if c.held[heldKey(r.Consumer, r.Tag)] {
			flag += "H"
		}
		color := "white"
		if r.Redelivered {
			color = "orange"
		}
		if flag == "" && r.Outcome != "" {
			flag = outcomeMark(r.Outcome)
			if r.Requeued {
				flag = "↺" // the typed fact the note's first word lost
			}
			color = "white"
		}
		return tview.NewTableCell(flag).SetStyle(c.th.style(color))
	case "key":
		key := r.RoutingKey
		if key == "" {
			key = `""`
		}
		return tview.NewTableCell(tview.Escape(key)).SetMaxWidth(24)
	case "by":
		// Which consumer got it: this is what shows round-robin. The
		// observer named after the queue is left blank.
		by := r.Consumer
		if by == c.queue {
			by = ""
		} else if len(by) > 12 && strings.HasPrefix(by, c.queue) {
			by = strings.TrimPrefix(by, c.queue) // "+w2": the queue is the pane's
		}
		return tview.NewTableCell(tview.Escape(by)).SetMaxWidth(12)
	case "headers":
		return tview.NewTableCell(tview.Escape(r.Headers)).SetMaxWidth(28).SetStyle(c.th.style("aqua")) // typed: n:int=5, n2:long=5, s="5"
	default:
		return tview.NewTableCell(tview.Escape(r.Body)).SetMaxWidth(24)
	}
}

func outcomeMark(o sandbox.AckKind) string {
	switch o {
	case sandbox.Acked:
		return "✓"
	case sandbox.Nacked, sandbox.Rejected:
		return "✗"
	}
	return ""
}

// consumersOf returns the model's snapshot of the consumers on a queue.
// Callers hold m.mu.
func (a *App) consumersOf(queue string) []consumerView {
	var out []consumerView
	for _, c := range a.m.consumers {
		if c.Queue == queue {
			out = append(out, c)
		}
	}
	return out
}
