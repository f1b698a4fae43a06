package cli

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
	out io.Writer
	// pause delivers the lines typed on stdin (readLines); nil: do not
	// wait between steps.
	pause <-chan string
}

// readLines reads r line by line on a goroutine of its own, so that the
// prompt can wait for Enter and for Ctrl-C at once: a read from a
// terminal cannot be interrupted, and Ctrl-C must clean up and exit at
// once, not after the next Enter. The channel is closed at the end of r.
// The goroutine ends then, or stays blocked in its read until the process
// exits (the command has returned by then; nothing waits for it).
func readLines(r io.Reader) <-chan string {
	out := make(chan string)
	go func() {
		defer close(out)
		br := bufio.NewReader(r)
		for {
			line, err := br.ReadString('\n')
			if line != "" || err == nil {
				out <- line
			}
			if err != nil {
				return
			}
		}
	}()
	return out
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
			select {
			case _, ok := <-n.pause:
				if !ok {
					n.pause = nil // stdin closed: play the rest without waiting
					fmt.Fprintln(n.out)
				}
			case <-ctx.Done():
				fmt.Fprintln(n.out)
				return out, ctx.Err()
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
	if r.Skipped {
		fmt.Fprintf(n.out, "  %s\n\n", r.Note)
		return
	}
	if r.Step.RestartBroker {
		n.tellRestart(r)
		return
	}
	n.tellMessage(r.Step.Publish)
	n.tellRoute(r)
	n.tellDelivered(r)
	fmt.Fprintln(n.out)
}

// tellRestart says what a broker restart left, queue by queue.
func (n narrator) tellRestart(r scenarios.StepResult) {
	fmt.Fprintln(n.out, "  the broker restarts; what each queue holds before -> after:")
	for _, s := range r.Survivors {
		fmt.Fprintf(n.out, "    %s: %s\n", s.Queue, s)
	}
	if r.Note != "" {
		fmt.Fprintf(n.out, "  %s\n", r.Note)
	}
	verdict := "as expected"
	if !r.OK {
		verdict = "NOT as expected"
	}
	fmt.Fprintf(n.out, "  (%s)\n", verdict)
	if r.Why != "" {
		fmt.Fprintf(n.out, "%s\n", indent(r.Why, "  "))
	}
	fmt.Fprintln(n.out)
}

// tellMessage says what is published: the exchange, the routing key, the
// headers and the mandatory flag.
func (n narrator) tellMessage(pub scenarios.Publish) {
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
}

// tellRoute gives every binding the model considered, with its reason,
// and the model's notes on the route as a whole.
func (n narrator) tellRoute(r scenarios.StepResult) {
	for _, v := range r.Model.Verdicts {
		fmt.Fprintf(n.out, "    %s\n", v.Line(headerText))
	}
	for _, note := range r.Model.Notes {
		fmt.Fprintf(n.out, "    %s\n", note)
	}
}

// tellDelivered says what the broker did, held against the step's
// expectations.
func (n narrator) tellDelivered(r scenarios.StepResult) {
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
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}
