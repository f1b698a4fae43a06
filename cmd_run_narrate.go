package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/warrenmq/warren/scenarios"
)

// Classroom mode: `warren run --narrate` tells each step as it is played -
// the narration, the message, every binding the model considered with its
// reason, and what the broker actually did - and with --pause waits for
// Enter before each step, so a teacher can talk over it. The summary table
// (or the JSON) still follows, so the exit code and the contract do not
// change.

// narrator prints steps as they are played.
type narrator struct {
	out   io.Writer
	pause *bufio.Reader // nil: do not wait between steps
}

// playNarrated plays every step like Player.Run, telling each one.
func (n narrator) playNarrated(ctx context.Context, p *scenarios.Player) ([]scenarios.StepResult, error) {
	sc := p.Scenario
	if about := strings.TrimSpace(sc.About); about != "" {
		fmt.Fprintf(n.out, "%s\n\n", indent(about, ""))
	}
	var out []scenarios.StepResult
	for i, st := range sc.Steps {
		if n.pause != nil {
			fmt.Fprintf(n.out, "[Enter: step %d of %d] ", i+1, len(sc.Steps))
			if _, err := n.pause.ReadString('\n'); err != nil {
				n.pause = nil // stdin closed: play the rest without waiting
				fmt.Fprintln(n.out)
			}
		}
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		fmt.Fprintf(n.out, "Step %d. %s\n", i+1, strings.TrimSpace(st.Say))
		r, err := p.Play(ctx, i)
		if err != nil {
			return out, err
		}
		n.tell(r)
		out = append(out, r)
	}
	return out, nil
}

func (n narrator) tell(r scenarios.StepResult) {
	pub := r.Step.Publish
	ex := pub.Exchange
	if ex == "" {
		ex = "(default)"
	}
	fmt.Fprintf(n.out, "  publish to %s, routing key %q", ex, pub.RoutingKey)
	if h := headerText(pub.Headers); h != "" {
		fmt.Fprintf(n.out, ", headers %s", h)
	}
	if pub.Mandatory {
		fmt.Fprint(n.out, ", mandatory")
	}
	fmt.Fprintln(n.out)
	for _, v := range r.Model.Verdicts {
		mark := "✗"
		if v.Matched {
			mark = "✓"
		}
		b := v.Binding
		src, key := b.Source, fmt.Sprintf("%q", b.RoutingKey)
		if src == "" {
			src = "(default)"
		}
		if len(b.Arguments) > 0 {
			key = headerText(b.Arguments)
		}
		fmt.Fprintf(n.out, "    %s %s -[%s]-> %s: %s\n", mark, src, key, b.Destination, v.Reason)
	}
	for _, note := range r.Model.Notes {
		fmt.Fprintf(n.out, "    %s\n", note)
	}
	got := queuesText(r.Delivered)
	if r.Returned {
		got += fmt.Sprintf(", returned %d %s", r.Return.ReplyCode, r.Return.ReplyText)
	}
	verdict := "as expected"
	if !r.OK {
		verdict = "NOT as expected: " + queuesText(r.Expected) + " expected"
	}
	fmt.Fprintf(n.out, "  delivered to %s (%s)\n", got, verdict)
	if r.Why != "" {
		fmt.Fprintf(n.out, "%s\n", indent(r.Why, "  "))
	}
	fmt.Fprintln(n.out)
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}
