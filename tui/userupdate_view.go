package tui

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// flowWidgets are the flow page's panes. Only the event loop touches them.
type flowWidgets struct {
	root     *tview.Flex
	form     *tview.Flex
	id       *tview.InputField
	name     *tview.InputField
	hint     *tview.TextView
	users    *tview.TextView
	outbox   *tview.TextView
	path     *tview.TextView
	profiles *tview.TextView
	log      *tview.TextView
	bar      *tview.TextView
	keys     []binding
	logSeen  int // f.st.logSeen when the log widget was last filled
}

const flowScopeForm = "flow-form"

const flowFormHint = "[gray]Enter POSTs"

func (f *flowPage) build() *flowWidgets {
	w := &flowWidgets{}
	input := func(label, placeholder string) *tview.InputField {
		in := tview.NewInputField().SetLabel(label).SetLabelWidth(10).SetPlaceholder(placeholder)
		in.SetPlaceholderStyle(tcell.StyleDefault.Foreground(tcell.ColorGray).Background(tcell.ColorDarkBlue))
		return in
	}
	w.hint = tview.NewTextView().SetDynamicColors(true).SetText(flowFormHint)
	// A letter typed into the id would vanish without a word: say why, so
	// a learner who meant the name knows to move there.
	w.id = input("id", "1").SetText("1").SetAcceptanceFunc(func(text string, ch rune) bool {
		if text == "" || tview.InputFieldInteger(text, ch) {
			return true
		}
		w.hint.SetText("[yellow]id: digits only")
		return false
	})
	w.name = input("full_name", "e.g. usama")
	w.form = tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(w.id, 1, 0, false).
		AddItem(w.name, 1, 0, true).
		AddItem(w.hint, 1, 0, false)
	w.form.SetBorder(true).SetTitle(" POST /users/{id} ").SetTitleAlign(tview.AlignLeft)

	text := func(title string) *tview.TextView {
		t := tview.NewTextView().SetDynamicColors(true).SetWrap(false)
		t.SetBorder(true).SetTitle(title).SetTitleAlign(tview.AlignLeft)
		return t
	}
	w.users = text(" Users (user service) ")
	w.outbox = text(" Outbox ")
	w.path = text(" Path of the event ")
	w.profiles = text(" Profiles (profile service) ")
	w.log = text(" Events ")
	w.log.SetWrap(true).SetScrollable(true)
	w.bar = tview.NewTextView().SetDynamicColors(true).SetWrap(true)

	left := tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(w.form, 5, 0, true).
		AddItem(w.users, 0, 1, false).
		AddItem(w.outbox, 0, 1, false)
	body := tview.NewFlex().
		AddItem(left, 0, 5, true).
		AddItem(w.path, 0, 8, false).
		AddItem(w.profiles, 0, 5, false)
	w.root = tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(body, 0, 3, true).
		AddItem(w.log, 0, 1, false).
		AddItem(w.bar, 2, 0, false)
	w.keys = f.bindings()
	return w
}

// bindings is the page's key table: it dispatches the keys and writes the
// key bar, so the two cannot disagree.
func (f *flowPage) bindings() []binding {
	a := f.a
	r := func(ch rune, desc string, h func()) binding {
		return binding{Key: tcell.KeyRune, Rune: ch, Label: string(ch), Description: desc, Handler: h}
	}
	k := func(scope string, key tcell.Key, label, desc string, typing bool, h func()) binding {
		return binding{Scope: scope, Key: key, Label: label, Description: desc, Typing: typing, Handler: h}
	}
	return []binding{
		r('c', "crash before ack", func() { f.submit("crash before ack", f.doCrash) }),
		r('x', "refuse next", func() { f.submit("refuse next", f.doRefuse) }),
		r('z', "consumer", func() { f.submit("stop/start consumer", f.doStopStart) }),
		r('p', "POST form", func() { a.app.SetFocus(f.w.name) }),
		r('r', "reset", func() { f.submit("reset the user-update flow", f.doReset) }),
		k("", tcell.KeyEscape, "Esc", "back", false, f.leave),
		r('u', "back", f.leave),
		k("", tcell.KeyTab, "Tab", "form/log", true, func() { f.cycleFocus() }),
		k("", tcell.KeyBacktab, "Shift-Tab", "form/log", true, func() { f.cycleFocus() }),
		r('q', "quit", a.requestQuit),
		k("", tcell.KeyCtrlC, "Ctrl-C", "quit", true, a.requestQuit),
		k(flowScopeForm, tcell.KeyEnter, "Enter", "POST", true, f.post),
		k(flowScopeForm, tcell.KeyUp, "↑↓", "field", true, f.moveField),
		k(flowScopeForm, tcell.KeyDown, "↓", "", true, f.moveField),
		k(flowScopeForm, tcell.KeyEscape, "Esc", "leave form", true, func() { a.app.SetFocus(f.w.log) }),
	}
}

// flowKey dispatches a key on the flow page (on the event loop).
func (a *App) flowKey(ev *tcell.EventKey) *tcell.EventKey {
	f := a.flow.Load()
	if f == nil {
		return ev
	}
	typing := f.typing()
	for i := range f.w.keys {
		b := &f.w.keys[i]
		if (b.Scope == flowScopeForm && !typing) || (typing && !b.Typing) {
			continue
		}
		if ev.Key() != b.Key || (b.Key == tcell.KeyRune && ev.Rune() != b.Rune) {
			continue
		}
		b.Handler()
		f.render() // the bar shows the focus and the switches at once
		return nil
	}
	if ev.Key() == tcell.KeyCtrlC {
		return nil
	}
	return ev
}

func (f *flowPage) typing() bool {
	foc := f.a.app.GetFocus()
	return foc == f.w.id || foc == f.w.name
}

func (f *flowPage) cycleFocus() {
	if f.typing() {
		f.a.app.SetFocus(f.w.log)
	} else {
		f.a.app.SetFocus(f.w.name)
	}
}

func (f *flowPage) moveField() {
	if f.a.app.GetFocus() == f.w.id {
		f.a.app.SetFocus(f.w.name)
	} else {
		f.a.app.SetFocus(f.w.id)
	}
}

// post reads the form on the loop and hands the update to the worker. A
// non-numeric id is what the HTTP service answers 404 for.
func (f *flowPage) post() {
	idText := strings.TrimSpace(f.w.id.GetText())
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		f.w.hint.SetText("[red]404: the id must be > 0")
		return
	}
	name := f.w.name.GetText()
	f.w.name.SetText("")
	f.w.hint.SetText("[gray]POST /users/" + strconv.FormatInt(id, 10) + " ...")
	f.submit("POST /users/"+idText, func(ctx context.Context) { f.doUpdate(ctx, id, name) })
}

// render copies the page's state into its widgets, on the event loop.
func (f *flowPage) render() {
	w := f.w
	f.mu.Lock()
	defer f.mu.Unlock()
	f.renderQueued = false
	st := &f.st
	if st.hint != "" {
		hint := st.hint
		if _, _, hw, _ := w.hint.GetInnerRect(); hw > 0 && st.hintShort != "" && tview.TaggedStringWidth(hint) > hw {
			hint = st.hintShort
		}
		w.hint.SetText(hint)
		st.hint, st.hintShort = "", ""
	}
	w.users.SetText(f.usersText(innerWidth(w.users)))
	w.outbox.SetText(f.outboxText(innerWidth(w.outbox)))
	w.outbox.SetTitle(fmt.Sprintf(" Outbox (%d pending) ", st.pending))
	w.profiles.SetText(f.profilesText(innerWidth(w.profiles)))
	_, _, _, ph := w.path.GetInnerRect()
	w.path.SetText(f.pathText(innerWidth(w.path), ph))
	if p := flowNamePrefix(st.names); p != "" {
		w.path.SetTitle(" Path of the event · " + tview.Escape(p) + "* ")
	}
	if w.logSeen != st.logSeen {
		w.logSeen = st.logSeen
		var b strings.Builder
		for i := 0; i < st.log.len(); i++ {
			l := st.log.at(i)
			fmt.Fprintf(&b, "[gray]%s[-] [%s]%s[-]\n", l.At.Format("15:04:05"), l.Color, tview.Escape(l.Text))
		}
		w.log.SetText(strings.TrimSuffix(b.String(), "\n"))
		w.log.ScrollToEnd()
	}
	w.bar.SetText(f.barText())
}

func innerWidth(t *tview.TextView) int {
	_, _, w, _ := t.GetInnerRect()
	if w <= 0 {
		return 40 // not drawn yet
	}
	return w
}

// cut truncates plain text to n cells and escapes it for tview.
func cut(s string, n int) string {
	if n <= 0 {
		return ""
	}
	// Widths of the escaped text: a name typed as "[red]" prints as is.
	if tview.TaggedStringWidth(tview.Escape(s)) > n {
		r := []rune(s)
		for len(r) > 0 && tview.TaggedStringWidth(tview.Escape(string(r))) > n-1 {
			r = r[:len(r)-1]
		}
		s = string(r) + "…"
	}
	return tview.Escape(s)
}

// usersText is the user service's store. Callers hold f.mu.
func (f *flowPage) usersText(width int) string {
	st := &f.st
	if len(st.users) == 0 {
		return "[gray]no users yet"
	}
	nameW := width - 4
	showMsg := width >= 26
	if showMsg {
		nameW -= 9
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[gray]%-3s %s[-]\n", "id", cut("full_name", nameW))
	for _, u := range st.users {
		fmt.Fprintf(&b, "%3d %-*s", u.ID, nameW, cut(u.FullName, nameW))
		if showMsg {
			fmt.Fprintf(&b, " [gray]%s[-]", shortID(u.LastMessageID))
		}
		b.WriteByte('\n')
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// outboxText lists the newest outbox rows: sent, or waiting for a confirm.
func (f *flowPage) outboxText(width int) string {
	st := &f.st
	if len(st.outbox) == 0 {
		return "[gray]empty"
	}
	var b strings.Builder
	for i := len(st.outbox) - 1; i >= 0; i-- {
		e := st.outbox[i]
		state := "[green]✓ sent[-]"
		if !e.Sent {
			state = "[yellow]… pending[-]"
		}
		head := fmt.Sprintf("#%d id%d ", e.Seq, e.UserID)
		fmt.Fprintf(&b, "%s%-*s %s\n", head, max(width-len(head)-10, 1), cut(e.FullName, width-len(head)-10), state)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// profilesText is the profile service's store; v counts the events applied.
func (f *flowPage) profilesText(width int) string {
	st := &f.st
	var b strings.Builder
	if len(st.profiles) == 0 {
		b.WriteString("[gray]no profiles yet")
	} else {
		nameW := width - 8
		showMsg := width >= 28
		if showMsg {
			nameW -= 9
		}
		fmt.Fprintf(&b, "[gray]%-3s %-*s %3s[-]\n", "id", nameW, cut("full_name", nameW), "v")
		for _, p := range st.profiles {
			fmt.Fprintf(&b, "%3d %-*s %3d", p.ID, nameW, cut(p.FullName, nameW), p.Version)
			if showMsg {
				fmt.Fprintf(&b, " [gray]%s[-]", shortID(p.LastMessageID))
			}
			b.WriteByte('\n')
		}
	}
	out := strings.TrimSuffix(b.String(), "\n")
	if st.deadOK {
		color := "gray"
		if st.dead > 0 {
			color = "red"
		}
		out += fmt.Sprintf("\n\n[%s]%s[-]", color, cut(fmt.Sprintf("dead-lettered: %d", st.dead), width))
	}
	return out
}

// pathText is request -> exchange -> binding -> queue -> consumer -> ack,
// each stage lit in its last event's color while that event is about the
// latest message, dimmed once a newer message has moved on.
func (f *flowPage) pathText(width, height int) string {
	st := &f.st
	n := st.names
	heads := [flowStages]string{
		"request  " + st.request,
		"exchange " + shortName(n.Exchange, n) + " (topic)",
		"binding  " + n.ProfileBinding,
		"queue    " + shortName(n.ProfileQueue, n),
		"consumer manual ack, prefetch 1",
		"ack",
	}
	if st.request == "" {
		heads[flowReq] = "request  POST /users/{id}"
	}
	if width < 44 {
		// Narrow: the names matter more than the alignment.
		for i := range heads {
			word, rest, _ := strings.Cut(heads[i], " ")
			rest = strings.TrimSpace(strings.TrimSuffix(rest, " (topic)"))
			if i == flowReq {
				heads[i] = rest // "POST ..." says it is the request
			} else {
				heads[i] = word + " " + rest
			}
		}
	}
	var b strings.Builder
	for i, s := range st.stages {
		color, dot := "gray", "○"
		if s.Color != "" {
			dot = "●"
			if s.MsgID == "" || s.MsgID == st.focus {
				color = s.Color
			}
		}
		head := heads[i]
		if i == flowQueue {
			counts := "ready ?"
			if st.statsOK {
				counts = fmt.Sprintf("ready %d · consumers %d", st.ready, st.cons)
			}
			fmt.Fprintf(&b, "[%s]%s %s[-]\n", color, dot, cut(head, width-2))
			qc := "white"
			if st.statsOK && st.ready > 0 {
				qc = "yellow"
			}
			if s.Detail != "" && width >= 44 {
				counts += " · " + shortID(s.MsgID) + " " + s.Detail
			}
			fmt.Fprintf(&b, "  [%s]%s[-]\n", qc, cut(counts, width-2))
			continue
		}
		fmt.Fprintf(&b, "[%s]%s %s[-]\n", color, dot, cut(head, width-2))
		detail := s.Detail
		if detail == "" {
			detail = "-"
		}
		if s.MsgID != "" && (width >= 44 || i == flowReq || i == flowConsumer) {
			detail = shortID(s.MsgID) + " " + detail
		}
		fmt.Fprintf(&b, "  [%s]%s[-]\n", color, cut(detail, width-2))
	}
	if st.comp.Color != "" {
		color := "gray"
		if st.comp.MsgID == st.focus {
			color = st.comp.Color
		}
		fmt.Fprintf(&b, "[%s]↺ %s[-]\n", color, cut(st.comp.Detail, width-2))
	}
	// What happened to the lit message so far, in the rows left over.
	if t := st.trails[st.focus]; len(t) > 0 {
		used := strings.Count(b.String(), "\n")
		room := height - used - 1
		if room >= 2 {
			lines := strings.Split(wrapWords(strings.Join(t, " → "), width), "\n")
			if len(lines) > room-1 {
				lines = append([]string{"…"}, lines[len(lines)-(room-2):]...)
			}
			fmt.Fprintf(&b, "\n[gray]%s so far:[-]\n%s\n", shortID(st.focus), strings.Join(lines, "\n"))
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// barText is the key bar, generated from the key table: the first line
// the switches with their state, the second the other keys of the current
// mode (form or page) and the services' connections.
func (f *flowPage) barText() string {
	st := &f.st
	state := map[rune]string{
		'c': onOff(st.crashArmed, "[red]ARMED[-]", "off"),
		'x': onOff(st.refuseArmed, "[red]ARMED[-]", "off"),
		'z': onOff(st.stopped, "[yellow]STOPPED[-]", onOff(st.consumes || !st.running, "running", "starting")),
	}
	typing := f.typing()
	var switches, others []string
	seen := map[string]bool{}
	for _, k := range f.w.keys {
		if k.Description == "" || seen[k.Description] {
			continue
		}
		p := "[aqua]" + tview.Escape(k.Label) + "[-] " + k.Description
		if s, ok := state[k.Rune]; ok && k.Key == tcell.KeyRune {
			switches = append(switches, p+": "+s)
			seen[k.Description] = true
			continue
		}
		if k.Key == tcell.KeyRune && k.Rune == 'r' {
			switches = append(switches, p)
			seen[k.Description] = true
			continue
		}
		if (typing && (!k.Typing || k.Scope != flowScopeForm)) || (!typing && k.Scope == flowScopeForm) || k.Label == "Shift-Tab" || k.Label == "Ctrl-C" {
			continue
		}
		seen[k.Description] = true
		others = append(others, p)
	}
	up := func(name string, ok bool) string {
		return name + " " + onOff(ok, "[green]✓[-]", "[red]✗[-]")
	}
	status := "[gray]services stopped[-]"
	if st.running {
		status = up("user-service", st.userUp) + " " + up("profile-service", st.profUp)
	}
	line1 := " " + strings.Join(switches, " · ")
	return line1 + "\n " + strings.Join(others, "  ") + " [gray]│[-] " + status
}

func onOff(b bool, on, off string) string {
	if b {
		return on
	}
	return off
}

// wrapWords breaks plain text into lines of at most width cells, at spaces.
func wrapWords(s string, width int) string {
	var b strings.Builder
	line := 0
	for i, w := range strings.Fields(s) {
		n := tview.TaggedStringWidth(w)
		if i > 0 && line+1+n > width {
			b.WriteString("\n")
			line = 0
		} else if i > 0 {
			b.WriteString(" ")
			line++
		}
		b.WriteString(tview.Escape(w))
		line += n
	}
	return b.String()
}
