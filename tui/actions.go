package tui

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/scenarios"
)

// Everything in this file runs on the worker goroutine: it may block on the
// network, it never touches a widget (it writes the model, or hands a
// closure to later), and it gives up when ctx is cancelled (quit).

const (
	statsTimeout = 2 * time.Second
)

// later runs f on the event loop at the next refresh: the worker's way to
// change a widget without ever blocking on the loop.
func (a *App) later(f func()) {
	a.m.mu.Lock()
	a.m.todo = append(a.m.todo, f)
	a.m.dirty = true
	a.m.mu.Unlock()
}

func (a *App) logf(t tone, format string, args ...any) {
	a.m.mu.Lock()
	a.m.logf(t, format, args...)
	a.m.mu.Unlock()
}

func exchangeName(x string) string {
	if x == "" {
		return "the default exchange"
	}
	return "exchange " + x
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// doReset deletes what Warren declared; the scenario stays chosen, and s or
// Enter declares it afresh.
func (a *App) doReset(ctx context.Context) {
	err := a.sess.Reset(ctx)
	a.m.mu.Lock()
	defer a.m.mu.Unlock()
	if err != nil {
		a.m.logf(colBad, "reset: %v", err)
		return
	}
	sc := a.m.scenario
	a.m.setScenario(sc, false)
	a.m.consumers = nil
	a.m.logf(colWarn, "reset: deleted the exchanges and queues Warren declared (s or Enter declares the scenario again)")
}

func (a *App) doFlood(ctx context.Context, pub scenarios.Publish, n int) {
	if a.player == nil {
		a.player = a.newPlayer(nil)
	}
	p := a.player.Publishing(scenarios.Step{Publish: pub})
	a.logf(colWarn, "flood: publishing %d x %q to %s", n, pub.RoutingKey, exchangeName(pub.Exchange))
	start := time.Now()
	sent, err := a.sess.Flood(ctx, p, n)
	d := time.Since(start)
	rate := float64(sent) / max(d.Seconds(), 1e-9)
	if err != nil {
		a.logf(colBad, "flood: %d published in %s (%.0f/s), then: %v", sent, d.Round(time.Millisecond), rate, err)
		return
	}
	a.logf(colWarn, "flood: %d published in %s (%.0f msg/s)", sent, d.Round(time.Millisecond), rate)
}

// doStats refreshes the queues' counts from the broker.
func (a *App) doStats(ctx context.Context) {
	defer a.statsQueued.Store(false)
	dropped := a.sess.Dropped()
	a.m.mu.Lock()
	if dropped != a.m.dropped {
		a.m.dropped = dropped
		a.m.dirty = true
	}
	queues := slices.Clone(a.m.order)
	ok := a.m.declared && a.m.state == sandbox.Connected
	a.m.mu.Unlock()
	a.snapshotConsumers()
	if !ok {
		return
	}
	for _, q := range queues {
		sctx, cancel := context.WithTimeout(ctx, statsTimeout)
		st, err := a.sess.QueueStats(sctx, a.real(q))
		cancel()
		a.m.mu.Lock()
		if qm := a.m.queues[q]; qm != nil {
			qm.stats, qm.statsOK = st, err == nil
			a.m.dirty = true
		}
		a.m.mu.Unlock()
	}
}

// snapshotConsumers copies the Session's consumers into the model.
func (a *App) snapshotConsumers() []consumerView {
	infos := a.sess.Consumers()
	views := make([]consumerView, len(infos))
	a.m.mu.Lock()
	for i, c := range infos {
		views[i] = viewOf(c)
		views[i].Queue = a.m.scenarioName(c.Spec.Queue)
	}
	a.m.consumers = views
	a.m.dirty = true
	a.m.mu.Unlock()
	return views
}
