package tui

import (
	"fmt"
	"strings"

	"github.com/rivo/tview"

	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/sandbox/routing"
)

// The routing pane: one row per queue with its counts, and beside it each
// binding that leads there with the latest message's verdict (✓ matched,
// ✗ not, · not considered) and the model's reason. Everything that decides
// where a message goes, and what is waiting where, in one place: at 80x24
// every binding and every queue of the built-in scenarios fits.
//
// Everything here runs on the event loop with m.mu held.

// bindingID identifies a binding so that a verdict from the model can be
// matched to the line that shows it.
func bindingID(b routing.Binding) string { return routing.BindingKey(b) }

// bindingLabel is what a binding matches on: its routing key, or for a
// headers exchange x-match and its arguments.
func bindingLabel(b routing.Binding, xt routing.ExchangeType) string {
	switch {
	case b.Source == "":
		return "(default exchange)"
	case xt == routing.Headers || (len(b.Arguments) > 0 && b.RoutingKey == ""):
		rest := routing.Table{}
		for k, v := range b.Arguments {
			if k != "x-match" {
				rest[k] = v
			}
		}
		xm, ok := b.Arguments["x-match"]
		if !ok {
			xm = "all"
		}
		if len(rest) == 0 {
			return routing.FormatValue(xm) + " (no arguments)"
		}
		return routing.FormatValue(xm) + ": " + routing.FormatTable(rest)
	case xt == routing.Fanout && b.RoutingKey == "":
		return "(fanout: every message)"
	case xt == routing.Fanout:
		return fmt.Sprintf("key %s (fanout ignores it)", quoteKey(b.RoutingKey))
	}
	return quoteKey(b.RoutingKey)
}

// quoteKey shows a routing key as is, or "" when it is empty (or has
// spaces, which would read as two words).
func quoteKey(k string) string {
	if k == "" || strings.ContainsAny(k, " \t") {
		return fmt.Sprintf("%q", k)
	}
	return k
}

// shortReason drops what the line already says from the model's reason:
// "x-match=all: " before a headers binding's label that starts with all,
// "direct: " on a direct exchange.
func shortReason(reason string, xt routing.ExchangeType) string {
	if xt == routing.Headers && strings.HasPrefix(reason, "x-match=") {
		if _, rest, ok := strings.Cut(reason, ": "); ok {
			return rest
		}
	}
	if r, ok := strings.CutPrefix(reason, "default exchange: "); ok {
		return r
	}
	if r, ok := strings.CutPrefix(reason, string(xt)+": "); ok {
		return r
	}
	return reason
}

// routeRow is one line of the table before it is laid out.
type routeRow struct {
	binding routing.Binding
	xt      routing.ExchangeType
	verdict *routing.Verdict
}

// routeLines lays the routing pane out for a width: its title and lines.
func (a *App) routeLines(w int) (string, []string) {
	m := a.m
	if m.scenario == nil {
		return "Routing", []string{
			"[aqua]l[-] lists the scenarios; choose one with Enter. [aqua]?[-] shows every key.",
		}
	}
	var lines []string
	add := func(ls ...string) { lines = append(lines, ls...) }
	if !m.declared {
		add("[yellow]" + tview.Escape("not declared on the broker (r deleted it, or it failed): s declares it again") + "[-]")
	}
	last := m.last
	title := "Routing: s plays the next step, p publishes your own, d draws it"
	if a.m.quizOn {
		title = "Routing: s asks where the next step's message goes, p publishes your own"
	}
	if ask := a.ui.ask; ask != nil {
		title = fmt.Sprintf("Routing: where does step %d's message go?", ask.step+1)
	}
	verdicts := map[string]routing.Verdict{}
	visited := map[string]bool{}
	if last != nil {
		for _, v := range last.R.Model.Verdicts {
			verdicts[bindingID(v.Binding)] = v
		}
		for _, x := range last.R.Model.Exchanges {
			visited[x] = true
		}
		title, lines = a.messageLines(last, w, lines)
	}

	types := map[string]routing.ExchangeType{}
	for _, x := range m.topology.Exchanges {
		types[x.Name] = x.Type
	}
	single := len(m.topology.Exchanges) == 1 && m.topology.Exchanges[0].AlternateExchange() == "" && !m.topology.Exchanges[0].Internal
	if !single && len(m.topology.Exchanges) > 0 {
		var spans []span
		for i, x := range m.topology.Exchanges {
			sep := ","
			if i == len(m.topology.Exchanges)-1 {
				sep = ""
			}
			tag := ""
			if visited[x.Name] {
				tag = "[::b]"
			}
			spans = append(spans, span{tag, x.Name})
			detail := string(x.Type)
			if ae := x.AlternateExchange(); ae != "" {
				detail += ", alternate-exchange " + ae
			}
			if x.Internal {
				detail += ", internal"
			}
			spans = append(spans, span{"", "(" + detail + ")" + sep})
		}
		add(wrap("exchanges: ", 11, spans, w, 2)...)
	}

	qw := width("queue")
	for _, q := range m.topology.Queues {
		qw = max(qw, width(q.Name))
	}
	qw = min(qw, max(8, w/3))
	head := " " + pad("queue", qw) + " ready unacked  "
	what := "bindings: ✓ match ✗ not · not reached, why"
	if single {
		x := m.topology.Exchanges[0]
		what = fmt.Sprintf("%s (%s) bindings: ✓ match ✗ not, why", x.Name, x.Type)
	}
	add("[::u]" + tview.Escape(fit(head+what, w)) + "[::-]")
	if last != nil && last.R.Model.Err == nil {
		var unreached []string
		for _, x := range m.topology.Exchanges {
			if !visited[x.Name] {
				unreached = append(unreached, x.Name)
			}
		}
		if len(unreached) > 0 {
			add(wrapPlain("", fmt.Sprintf("· not reached: %s (the message did not pass there)", strings.Join(unreached, ", ")), w, 2)...)
		}
	}

	for _, q := range m.topology.Queues {
		var rows []routeRow
		for _, bd := range m.topology.Bindings {
			if bd.Destination != q.Name || bd.DestinationType == routing.ToExchange {
				continue
			}
			r := routeRow{binding: bd, xt: types[bd.Source]}
			if v, ok := verdicts[bindingID(bd)]; ok {
				r.verdict = &v
			}
			rows = append(rows, r)
		}
		if last != nil { // the default exchange's implicit binding, when it was used
			for _, v := range last.R.Model.Verdicts {
				if v.Binding.Source == "" && v.Binding.Destination == q.Name {
					rows = append(rows, routeRow{binding: v.Binding, verdict: &v})
				}
			}
		}
		if len(rows) == 0 {
			rows = append(rows, routeRow{binding: routing.Binding{Destination: q.Name, RoutingKey: q.Name}})
		}
		add(a.queueRows(q.Name, qw, rows, single, w, last)...)
	}
	for _, bd := range m.topology.Bindings {
		if bd.DestinationType != routing.ToExchange {
			continue
		}
		r := routeRow{binding: bd, xt: types[bd.Source]}
		if v, ok := verdicts[bindingID(bd)]; ok {
			r.verdict = &v
		}
		add(a.bindingRow("→ exchange "+bd.Destination, width("→ exchange "+bd.Destination), r, false, w)...)
	}
	if last != nil && len(last.R.Waiting) > 0 {
		add(wrapPlain("[yellow]", "… "+a.waitingText(last.R.Waiting), w, 2)...)
	}
	return title, lines
}

// messageLines is the latest message: in the title when it fits, else on
// lines of its own; then what the model said became of it when it was not
// simply routed, and where the broker disagreed or a step's expectation
// failed.
func (a *App) messageLines(v *routeView, w int, lines []string) (string, []string) {
	r := v.R
	msg := fmt.Sprintf("%s %s", exchangeLabel(v.Msg.Exchange), quoteKey(v.Msg.RoutingKey))
	if v.Msg.RoutingKey == "" {
		msg = fmt.Sprintf("%s \"\"", exchangeLabel(v.Msg.Exchange))
	}
	if len(v.Msg.Headers) > 0 {
		msg += " {" + routing.FormatTable(v.Msg.Headers) + "}"
	}
	if v.Msg.Mandatory {
		msg += " mandatory"
	}
	verdict, vtag := "", "[green]"
	switch {
	case r.Index == 0 && r.ModelAgrees:
		verdict = "as the model predicts"
	case r.Index == 0:
		verdict, vtag = "see below", "[yellow]"
	case len(r.Waiting) > 0 && r.Step.HasExpectations() && !r.OK:
		verdict, vtag = fmt.Sprintf("step %d … waiting", r.Index), "[yellow]"
	case r.OK:
		verdict = fmt.Sprintf("step %d ✓ as expected", r.Index)
	default:
		verdict, vtag = fmt.Sprintf("step %d ✗ NOT as expected", r.Index), "[red]"
	}
	if mark, ok := a.quizMark(r.Index); ok {
		// Quiz mode: the learner's mark and the running score.
		verdict = fmt.Sprintf("step %d ✓ right · %s", r.Index, a.m.quizScoreLocked())
		if !mark.Right {
			verdict, vtag = fmt.Sprintf("step %d ✗ wrong · %s", r.Index, a.m.quizScoreLocked()), "[red]"
		}
	}
	if f := shortFate(r.Model); f != "" {
		msg += " · " + f
	}
	title := "published " + msg + " · " + vtag + verdict + "[-]"
	if width("published "+msg+" · "+verdict)+6 > w {
		title = vtag + verdict + "[-]"
		lines = append(lines, wrapPlain("[::b]", "published "+msg, w, 2)...)
	} else {
		title = tview.Escape("published "+msg) + " · " + vtag + verdict + "[-]"
	}
	switch {
	case r.Model.Err != nil:
		lines = append(lines, wrapPlain("[red]", "model: "+r.Model.Err.Error(), w, 2)...)
	case r.Model.Fate != routing.Routed && len(r.Model.Notes) == 0:
		lines = append(lines, wrapPlain("[orange]", "model: "+fateText(r.Model, v.Msg.Exchange), w, 2)...)
	}
	for _, n := range r.Model.Notes {
		lines = append(lines, wrapPlain("", n, w, 2)...)
	}
	if r.Returned {
		lines = append(lines, wrapPlain("[orange]", fmt.Sprintf("returned to the publisher: %d %s", r.Return.ReplyCode, r.Return.ReplyText), w, 2)...)
	}
	if d, ok := r.Comparison.Disagree[""]; ok {
		lines = append(lines, wrapPlain("[red]", "! "+d, w, 2)...)
	}
	if r.Index > 0 && !r.OK {
		for _, f := range r.Failures {
			if len(r.Waiting) > 0 && (strings.Contains(f, "not delivered yet") || strings.Contains(f, "received it yet")) {
				continue // the waiting line below says it, with why
			}
			lines = append(lines, wrapPlain("[red]", "✗ "+f, w, 2)...)
		}
	}
	return title, lines
}

// shortFate is what became of an unroutable message, in a word or two.
func shortFate(r routing.Result) string {
	switch r.Fate {
	case routing.Dropped:
		return "dropped"
	case routing.Returned:
		return "returned"
	case routing.Alternate:
		return "to the alternate exchange"
	}
	return ""
}

func exchangeLabel(x string) string {
	if x == "" {
		return "(default exchange)"
	}
	return x
}

// queueRows are a queue's lines: its name and counts, then its bindings,
// one a line (a reason that does not fit goes under its binding).
func (a *App) queueRows(q string, qw int, rows []routeRow, single bool, w int, last *routeView) []string {
	ready, unacked := "?", 0
	if qm := a.m.queues[q]; qm != nil && qm.statsOK {
		ready = fmt.Sprint(qm.stats.Ready)
	}
	for _, c := range a.consumersOf(q) {
		unacked += c.Unacked
	}
	mark := " "
	if last != nil {
		if _, ok := last.R.Comparison.Disagree[q]; ok {
			mark = "[red::b]![-::-]"
		}
	}
	prefix := mark + tview.Escape(pad(q, qw)) + fmt.Sprintf(" %5s %7d  ", ready, unacked)
	pw := qw + 17
	var out []string
	for i, r := range rows {
		if i > 0 {
			prefix = strings.Repeat(" ", pw)
		}
		out = append(out, a.bindingRow(prefix, pw, r, single, w)...)
	}
	if last != nil {
		if d, ok := last.R.Comparison.Disagree[q]; ok {
			out = append(out, wrap(strings.Repeat(" ", pw), pw, []span{{"[red]", "! " + d}}, w, pw)...)
		}
	}
	return out
}

// bindingRow is one binding after prefix (pw cells): mark, label, reason.
func (a *App) bindingRow(prefix string, pw int, r routeRow, single bool, w int) []string {
	label := bindingLabel(r.binding, r.xt)
	if !single && r.binding.Source != "" {
		label = r.binding.Source + ": " + label
	}
	mark, tag, reason := "·", "", ""
	switch {
	case r.verdict != nil && r.verdict.Matched:
		mark, tag, reason = "✓", "[green::b]", shortReason(r.verdict.Reason, r.xt)
	case r.verdict != nil:
		mark, tag, reason = "✗", "[red::b]", shortReason(r.verdict.Reason, r.xt)
	}
	spans := []span{{tag, mark}, {"", label}}
	// The reason on the same line when it fits, else under the label:
	// hung at the label's column when there is room, else at the left.
	hang := pw + 2
	if w-hang < 36 {
		hang = 4
	}
	first := wrap(prefix, pw, spans, w, hang)
	if reason == "" {
		return first
	}
	rtag := ""
	if r.verdict != nil && !r.verdict.Matched {
		rtag = "[red]"
	}
	lastLine := first[len(first)-1]
	used := visibleWidth(lastLine)
	if used+2+width(reason) <= w {
		first[len(first)-1] = lastLine + "  " + rtag + tview.Escape(reason) + "[-]"
		return first
	}
	under := wrap(strings.Repeat(" ", hang), hang, []span{{rtag, reason}}, w, hang)
	if len(under) > 1 && hang > 4 {
		// Hung further left it fits a line: rows matter more than looks.
		if left := wrap("    ", 4, []span{{rtag, reason}}, w, 4); len(left) < len(under) {
			under = left
		}
	}
	return append(first, under...)
}

// visibleWidth is the width of a tagged line once its tags are drawn.
func visibleWidth(s string) int {
	return tview.TaggedStringWidth(s)
}

// consumerSummary says in a few words what consumes a queue ("auto",
// "manual pf1", "paused"), for the queue pane's title.
func consumerSummary(cons []consumerView) string {
	var cs []string
	for _, c := range cons {
		s := string(c.Spec.Ack)
		if c.State != sandbox.ConsumerRunning {
			s = string(c.State)
		}
		if c.Spec.Prefetch > 0 {
			s += fmt.Sprintf(" pf%d", c.Spec.Prefetch)
		}
		cs = append(cs, s)
	}
	if len(cs) == 0 {
		return "no consumer"
	}
	return strings.Join(cs, "|")
}
