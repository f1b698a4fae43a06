package scenarios

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/warrenmq/warren/sandbox"
)

// A restart_broker step: the broker restarts in place (Player.RestartBroker,
// which only Warren's embedded broker has), and the step reports, queue by
// queue, what survived. On any other broker the step is skipped with
// SkipRestartNote, and so is every step after it, with SkipAfterRestartNote:
// they were written for what the restart left, and would fail for the
// wrong reason. Skipped steps count as played, neither passed nor failed
// (StepResult.Skipped; OK stays true), so `warren run` on RabbitMQ ends
// with exit 0 and says which steps it skipped.

// SkipRestartNote is the note of a restart_broker step played where the
// broker cannot be restarted from Warren.
const SkipRestartNote = "skipped: restart_broker restarts only Warren's embedded broker; on RabbitMQ run `rabbitmqctl stop_app && rabbitmqctl start_app` yourself"

// SkipAfterRestartNote is the note of the steps after a skipped restart.
const SkipAfterRestartNote = "skipped: it comes after a restart_broker step that was skipped, and expects what the restart leaves"

// Restarter is what a restart_broker step needs of the Session beyond
// Session: *sandbox.Session has it.
type Restarter interface {
	Restart(ctx context.Context, queues []string, restart func(context.Context) error, wait time.Duration) (sandbox.RestartReport, error)
}

var _ Restarter = (*sandbox.Session)(nil)

// Survivor is one queue of the scenario across a restart, in the
// scenario's names.
type Survivor struct {
	Queue string
	// Before: messages ready and held unacked by Warren's consumers.
	ReadyBefore, UnackedBefore int
	// After: gone (not durable, exclusive, or auto-delete and its consumer
	// gone with the restart), or what it holds ready.
	Gone       bool
	ReadyAfter int
	// Redelivered counts the messages Warren's consumers held unacked
	// that came back to them redelivered.
	Redelivered int
}

// String says it in a few words: "2 ready -> 1 ready", "1 ready -> gone".
func (s Survivor) String() string {
	before := fmt.Sprintf("%d ready", s.ReadyBefore)
	if s.UnackedBefore > 0 {
		before += fmt.Sprintf(" + %d unacked", s.UnackedBefore)
	}
	after := fmt.Sprintf("%d ready", s.ReadyAfter)
	if s.Gone {
		after = "gone"
	}
	out := before + " -> " + after
	if s.Redelivered > 0 {
		out += fmt.Sprintf(", %d redelivered", s.Redelivered)
	}
	return out
}

// playRestart plays a restart_broker step.
func (p *Player) playRestart(ctx context.Context, index int, st Step) (StepResult, error) {
	r := StepResult{Index: index, Step: st, Expected: []string{}, Delivered: []string{}, ModelAgrees: true}
	rs, ok := p.Session.(Restarter)
	if p.RestartBroker == nil || !ok {
		r.Skipped, r.OK, r.Note = true, true, SkipRestartNote
		p.skipping = SkipAfterRestartNote
		return r, nil
	}
	if err := p.act(ctx, index, st); err != nil {
		return r, err
	}
	var queues []string
	for _, q := range p.Scenario.Topology.Queues {
		queues = append(queues, p.Real(q.Name))
	}
	rep, err := rs.Restart(ctx, queues, p.RestartBroker, p.Wait)
	if err != nil {
		return r, fmt.Errorf("step %d: restart the broker: %w", index, err)
	}
	redelivered := map[string]int{}
	for _, d := range rep.Redelivered {
		redelivered[p.ScenarioName(d.Queue)]++
	}
	for _, q := range rep.Queues {
		name := p.ScenarioName(q.Queue)
		r.Survivors = append(r.Survivors, Survivor{Queue: name, ReadyBefore: q.Before.Ready, UnackedBefore: q.Before.Unacked,
			Gone: q.Gone, ReadyAfter: q.After.Ready, Redelivered: redelivered[name]})
	}
	if n := len(rep.Held) - len(rep.Redelivered); n > 0 {
		r.Note = fmt.Sprintf("%d unacked message(s) not redelivered within %s", n, p.Wait)
	}
	byQueue := map[string]Survivor{}
	for _, s := range r.Survivors {
		byQueue[s.Queue] = s
	}
	for _, q := range st.ExpectGone {
		if s := byQueue[q]; !s.Gone {
			r.Failures = append(r.Failures, fmt.Sprintf("queue %s: expected gone after the restart, it is there with %d ready", q, s.ReadyAfter))
		}
	}
	for _, q := range slices.Sorted(maps.Keys(st.ExpectReady)) {
		want, s := st.ExpectReady[q], byQueue[q]
		switch {
		case s.Gone:
			r.Failures = append(r.Failures, fmt.Sprintf("queue %s: expected %d ready after the restart; it is gone (a queue survives only if durable, not exclusive, and not auto-delete with its consumers gone)", q, want))
		case s.ReadyAfter != want:
			r.Failures = append(r.Failures, fmt.Sprintf("queue %s: expected %d ready after the restart, %d (only persistent messages of durable queues survive)", q, want, s.ReadyAfter))
		}
	}
	r.Why = strings.Join(r.Failures, "; ")
	r.OK = len(r.Failures) == 0
	return p.checkReceived(r), nil
}
