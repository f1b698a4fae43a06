package tui

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/warrenmq/warren/scenarios"
)

// The restart key (R) and the durability scenario's restart_broker step:
// the embedded broker restarts in place (Config.RestartBroker), the
// Session reconnects, and the queue panes show, from the broker's own
// counts, what survived. On a live RabbitMQ the key only says so.

// restartWait bounds the wait for the unacked messages to come back
// redelivered after a restart.
const restartWait = 3 * time.Second

// noRestartNote is what R says on a broker Warren cannot restart.
const noRestartNote = "R restarts only Warren's embedded broker; on RabbitMQ run `rabbitmqctl stop_app && rabbitmqctl start_app` yourself"

// doRestart restarts the embedded broker (the R key), on the worker.
func (a *App) doRestart(ctx context.Context) {
	rs, ok := a.sess.(scenarios.Restarter)
	if a.cfg.RestartBroker == nil || !ok {
		a.logf(colWarn, "%s", noRestartNote)
		return
	}
	a.m.mu.Lock()
	names := slices.Clone(a.m.order)
	a.m.mu.Unlock()
	real := make([]string, len(names))
	for i, q := range names {
		real[i] = a.real(q)
	}
	a.logf(colText, "restarting the embedded broker: what a disk keeps survives (durable queues, persistent messages)")
	rep, err := rs.Restart(ctx, real, a.cfg.RestartBroker, restartWait)
	if err != nil {
		a.logf(colBad, "restart: %v", err)
		return
	}
	a.syncPump(ctx) // the Session's lost and reconnected lines come first
	redelivered := map[string]int{}
	for _, d := range rep.Redelivered {
		redelivered[d.Queue]++
	}
	a.m.mu.Lock()
	for i, q := range rep.Queues {
		s := scenarios.Survivor{Queue: names[i], ReadyBefore: q.Before.Ready, UnackedBefore: q.Before.Unacked,
			Gone: q.Gone, ReadyAfter: q.After.Ready, Redelivered: redelivered[q.Queue]}
		a.m.logf(survivorTone(s), "restart: %s: %s", s.Queue, s)
	}
	a.m.logf(colOK, "broker restarted; the Session reconnected and declared the scenario again")
	a.m.mu.Unlock()
	a.afterRestart(ctx)
}

// afterRestart brings the panes up to date with the broker: deliveries
// (the redelivered ones) and each queue's counts.
func (a *App) afterRestart(ctx context.Context) {
	a.syncPump(ctx)
	a.statsQueued.Store(true)
	a.doStats(ctx)
}

func survivorTone(s scenarios.Survivor) tone {
	if s.Gone || s.ReadyAfter < s.ReadyBefore+s.UnackedBefore {
		return colWarn
	}
	return colText
}

// logRestartResult logs a played restart_broker step. Callers hold m.mu.
func (a *App) logRestartResult(r scenarios.StepResult) {
	if r.Skipped {
		a.m.logf(colWarn, "step %d %s", r.Index, r.Note)
		return
	}
	for _, s := range r.Survivors {
		a.m.logf(survivorTone(s), "step %d restart: %s: %s", r.Index, s.Queue, s)
	}
	if r.Note != "" {
		a.m.logf(colWarn, "step %d: %s", r.Index, r.Note)
	}
	if r.OK {
		a.m.logf(colOK, "step %d as expected: %s", r.Index, restartExpectText(r.Step))
	}
	for _, f := range r.Failures {
		a.m.logf(colBad, "step %d: %s", r.Index, f)
	}
}

func restartExpectText(st scenarios.Step) string {
	out := "the broker restarted"
	if len(st.ExpectReady) > 0 {
		out += fmt.Sprintf(", %d queue count(s) as expected", len(st.ExpectReady))
	}
	if len(st.ExpectGone) > 0 {
		out += fmt.Sprintf(", %d queue(s) gone", len(st.ExpectGone))
	}
	return out
}
