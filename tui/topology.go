package tui

import (
	"fmt"
	"strings"

	"github.com/rivo/tview"
	"github.com/rivo/uniseg"

	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/sandbox/routing"
)

// bindingID identifies a binding so that a verdict from the model can be
// matched to the line that shows it.
func bindingID(b routing.Binding) string {
	dt := b.DestinationType
	if dt == "" {
		dt = routing.ToQueue
	}
	return strings.Join([]string{b.Source, string(dt), b.Destination, b.RoutingKey, formatTable(b.Arguments)}, "\x00")
}

// bindingLabel is what a binding matches on: its routing key, or for a
// headers exchange its arguments.
func bindingLabel(b routing.Binding, xt routing.ExchangeType) string {
	switch {
	case xt == routing.Headers || (len(b.Arguments) > 0 && b.RoutingKey == ""):
		// x-match first: it says how the rest is read.
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
		return fmt.Sprintf("{x-match=%v %s}", xm, formatTable(rest))
	case xt == routing.Fanout:
		return "(fanout)"
	case b.RoutingKey == "":
		return `""`
	}
	return b.RoutingKey
}

func destLabel(b routing.Binding) string {
	if b.DestinationType == routing.ToExchange {
		return "exchange " + b.Destination
	}
	return b.Destination
}

// topologyText draws exchanges -> bindings -> queues, and over them the
// explanation of the latest publish: each binding that matched (✓) or not
// (✗) with the model's reason, and ! where the broker disagreed.
// Callers hold m.mu.
func (a *App) topologyText() string {
	m := a.m
	_, _, width, _ := a.ui.topology.GetInnerRect()
	var b strings.Builder
	// The scenario's about text helps before the first publish; after it,
	// the room goes to the explanation (a step's narration stays).
	if m.narration != "" && (m.last == nil || m.last.Step > 0) {
		fmt.Fprintf(&b, "[yellow]%s[-]\n", tview.Escape(m.narration))
	}
	if m.scenario == nil {
		b.WriteString("[gray]choose a scenario (Enter on the list), then s plays its steps, p publishes, ? help")
		return b.String()
	}
	if !m.declared {
		b.WriteString("[gray](not declared on the broker: s or Enter declares it)[-]\n")
	}

	verdicts := map[string]routing.Verdict{}
	var last *routeView = m.last
	if last != nil {
		for _, v := range last.Result.Verdicts {
			verdicts[bindingID(v.Binding)] = v
		}
		b.WriteString(a.lastLine(last))
	}

	types := map[string]routing.ExchangeType{}
	for _, x := range m.topology.Exchanges {
		types[x.Name] = x.Type
	}
	shown := map[string]bool{}
	for _, x := range m.topology.Exchanges {
		visited := last != nil && contains(last.Result.Exchanges, x.Name)
		name := tview.Escape(x.Name)
		if visited {
			name = "[::b]" + name + "[::-]"
		}
		fmt.Fprintf(&b, "%s [gray](%s)[-]", name, x.Type)
		if ae := x.AlternateExchange(); ae != "" {
			used := last != nil && contains(last.Result.AlternateExchanges, ae)
			color := "gray"
			if used {
				color = "orange"
			}
			fmt.Fprintf(&b, " [%s]alternate-exchange -> %s[-]", color, tview.Escape(ae))
		}
		if x.Internal {
			b.WriteString(" [gray]internal[-]")
		}
		b.WriteString("\n")
		for _, bd := range m.topology.Bindings {
			if bd.Source != x.Name {
				continue
			}
			id := bindingID(bd)
			shown[id] = true
			b.WriteString(bindingLine(bd, x.Type, verdicts, last, id, width))
		}
	}
	// Verdicts on bindings the topology does not list: the default
	// exchange's implicit binding to every queue.
	if last != nil {
		for _, v := range last.Result.Verdicts {
			id := bindingID(v.Binding)
			if shown[id] {
				continue
			}
			shown[id] = true
			if v.Binding.Source == "" {
				b.WriteString("(default exchange)\n")
			}
			b.WriteString(bindingLine(v.Binding, types[v.Binding.Source], verdicts, last, id, width))
		}
		if d, ok := last.Disagree[""]; ok {
			fmt.Fprintf(&b, "[red]! %s[-]\n", tview.Escape(d))
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// lastLine sums up the latest publish: what the model said became of it.
func (a *App) lastLine(v *routeView) string {
	var b strings.Builder
	if v.Msg.Exchange == "" {
		b.WriteString("[white](default exchange) ")
	} else {
		fmt.Fprintf(&b, "[white]%s ", tview.Escape(v.Msg.Exchange))
	}
	fmt.Fprintf(&b, "%q", v.Msg.RoutingKey)
	if len(v.Msg.Headers) > 0 {
		fmt.Fprintf(&b, " {%s}", tview.Escape(formatTable(v.Msg.Headers)))
	}
	b.WriteString(":[-] ")
	r := v.Result
	switch {
	case a.cfg.Route == nil:
		fmt.Fprintf(&b, "delivered to %s", listOrNone(v.Observed))
	case r.Err != nil:
		fmt.Fprintf(&b, "[red]%s[-]", tview.Escape(r.Err.Error()))
	case r.Fate == routing.Routed:
		fmt.Fprintf(&b, "[green]-> %s[-]", strings.Join(r.Queues, ", "))
	default:
		fmt.Fprintf(&b, "[orange]%s[-]", tview.Escape(fateText(r, v.Msg)))
	}
	b.WriteString("\n")
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "[gray]%s[-]\n", tview.Escape(n))
	}
	return b.String()
}

// bindingLine is one binding and its verdict. When the reason does not
// fit on the binding's line (width), it goes on its own indented line, so
// that it never wraps under the marks.
func bindingLine(bd routing.Binding, xt routing.ExchangeType, verdicts map[string]routing.Verdict, last *routeView, id string, width int) string {
	mark, color, reason := "·", "white", ""
	if v, ok := verdicts[id]; ok {
		reason = v.Reason
		if v.Matched {
			mark, color = "✓", "green"
		} else {
			mark, color = "✗", "red"
		}
	} else if last != nil {
		color = "gray"
	}
	head := fmt.Sprintf("  %s %s -> %s", mark, bindingLabel(bd, xt), destLabel(bd))
	line := fmt.Sprintf("  [%s]%s %s -> %s[-]", color, mark, tview.Escape(bindingLabel(bd, xt)), tview.Escape(destLabel(bd)))
	if reason != "" {
		if width > 0 && uniseg.StringWidth(head)+1+uniseg.StringWidth(reason) > width {
			line += "\n     "
		} else {
			line += " "
		}
		line += "[gray]" + tview.Escape(reason) + "[-]"
	}
	if last != nil && bd.DestinationType != routing.ToExchange {
		if d, ok := last.Disagree[bd.Destination]; ok {
			line += " [red::b]! " + tview.Escape(d) + "[-::-]"
		}
	}
	return line + "\n"
}

// statusText is the bottom line: broker, connection state, server, and
// what the worker is doing. Callers hold m.mu.
func (a *App) statusText() string {
	m := a.m
	color := "green"
	if m.state != sandbox.Connected {
		color = "red"
	}
	// Most important first: a narrow terminal cuts the end of the line.
	s := fmt.Sprintf(" [::b]%s[::-] [%s]%s[-] [gray]? help  q quit[-]", tview.Escape(m.broker), color, m.state)
	if m.busy != "" {
		s += " [yellow]" + tview.Escape(m.busy) + "...[-]"
	}
	if m.dropped > 0 {
		s += fmt.Sprintf(" [orange]%d events dropped (flood)[-]", m.dropped)
	}
	if h := a.paneHint(); h != "" {
		s += " [aqua]" + tview.Escape(h) + "[-]"
	}
	if m.version != "" {
		s += " [gray]" + tview.Escape(m.version) + "[-]"
	}
	return s
}
