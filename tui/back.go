package tui

import (
	"context"
	"fmt"
	"slices"

	"github.com/warrenmq/warren/scenarios"
)

// Step back (b) and replay (.): the state before a step is made again,
// not guessed. Going back from step N deletes what Warren declared for the
// scenario (its exchanges, queues and bindings, and so every message in
// them; a queue that existed before is kept by the reset, so it is
// purged), declares it again, starts its consumers afresh and replays steps
// 1 to N-1 quietly, each as it was played the first time (s leaves manual
// acks to the user, S and the quiz ack them as `warren run` does). The
// panes then show the deliveries of the replayed steps and the broker's
// counts, and the routing pane the verdicts of step N-1. What the user did
// by hand in between (acks, pauses, messages of their own) is not
// replayed. In quiz mode going back forgets step N's mark, and the score
// goes to the class again if there is one.
//
// Purging the queues instead would not be faithful: the messages the
// consumers hold unacked, a paused or stopped consumer, and where a queue
// with several consumers is in its round-robin would all stay as they
// are.
//
// Everything here runs on the worker.

// doBack goes back one step; again then plays that step once more (in
// quiz mode: asks it again).
func (a *App) doBack(ctx context.Context, again bool) {
	a.m.mu.Lock()
	sc, n := a.m.scenario, a.m.nextStep
	modes := slices.Clone(a.m.asRun)
	quizOn := a.m.quizOn
	a.m.mu.Unlock()
	switch {
	case sc == nil:
		a.logf(colWarn, "choose a scenario first (l lists them)")
		return
	case sc.Name == flowScenario:
		a.logf(colWarn, "the user-update flow cannot go back a step: its services keep state of their own (r and s start it again)")
		return
	case n == 0 && again:
		a.logf(colWarn, "no step played yet: s plays step 1")
		return
	case n == 0:
		a.logf(colWarn, "no step played yet: nothing to go back to")
		return
	}
	target := n - 1 // the step to be the next one again (0-based)
	if !a.replayTo(ctx, sc, target, modes) {
		return
	}
	a.m.mu.Lock()
	what := fmt.Sprintf("back before step %d of %d", target+1, len(sc.Steps))
	switch {
	case target == 1:
		what += ": declared again, step 1 replayed"
	case target > 1:
		what += fmt.Sprintf(": declared again, steps 1-%d replayed", target)
	default:
		what += ": declared again, nothing replayed"
	}
	a.m.logf(colInfo, "%s; the counts are the broker's", what)
	var rep *scenarios.ScoreReport
	if q := a.m.quiz; quizOn && q != nil && q.Scenario == sc {
		if _, ok := q.MarkOf(target + 1); ok {
			q.Unmark(target + 1)
			right, marked := q.Score()
			a.m.logf(colInfo, "quiz: step %d is not scored any more; score %d/%d", target+1, right, marked)
			r := q.Report(false)
			rep = &r
		}
	}
	a.m.mu.Unlock()
	if rep != nil {
		a.reportScore(ctx, *rep)
	}
	if !again {
		return
	}
	if quizOn {
		a.later(a.quizAsk)
		return
	}
	asRun := target < len(modes) && modes[target]
	a.playNext(ctx, asRun)
}

// replayTo makes the state before step target (0-based): reset, declare,
// consumers, then steps 0 to target-1 replayed quietly, each as modes
// says it was played. It reports whether that worked.
func (a *App) replayTo(ctx context.Context, sc *scenarios.Scenario, target int, modes []bool) bool {
	a.setQuiet(true)
	defer a.setQuiet(false)
	if err := a.sess.Reset(ctx); err != nil {
		a.logf(colBad, "back: reset: %v", err)
		return false
	}
	// The old queues' last deliveries are in the model before the panes
	// are emptied, so none of them lands in the new ones.
	a.syncPump(ctx)
	p := a.newPlayer(sc)
	a.player = p
	a.m.mu.Lock()
	if a.m.scenario != sc {
		a.m.mu.Unlock()
		return false
	}
	a.m.setScenario(sc, false)
	a.m.consumers = nil
	a.m.mu.Unlock()
	if err := p.Declare(ctx); err != nil {
		a.logf(colBad, "back: declare: %v", err)
		return false
	}
	// A queue that existed before Warren declared it (a class's vhost
	// declares the scenarios too) outlived the reset, messages and all.
	for _, q := range sc.Topology.Queues {
		if st, err := a.sess.QueueStats(ctx, p.Real(q.Name)); err == nil && st.Ready > 0 {
			n, err := a.sess.Purge(ctx, p.Real(q.Name))
			if err != nil {
				a.logf(colBad, "back: %v", err)
				return false
			}
			a.logf(colWarn, "back: purged %d message(s) from %s, which existed before Warren declared it", n, q.Name)
		}
	}
	a.m.mu.Lock()
	a.m.setScenario(sc, true)
	a.m.mu.Unlock()
	if err := p.StartConsumers(ctx); err != nil {
		a.logf(colBad, "back: start consumers: %v", err)
		return false
	}
	a.snapshotConsumers()
	for j := 0; j < target; j++ {
		if a.playAt(ctx, sc, j, playHow{asRun: j < len(modes) && modes[j], quiet: true}) == nil {
			a.logf(colBad, "back: replaying step %d failed; the state is as after step %d", j+1, j)
			return false
		}
	}
	a.syncPump(ctx)
	a.m.mu.Lock()
	a.m.nextStep = target
	copy(a.m.asRun, modes)
	if target > 0 {
		a.m.narration = stepNarration(target-1, len(sc.Steps), sc.Steps[target-1].Say)
	}
	a.m.mu.Unlock()
	a.doStats(ctx)
	return true
}

// setQuiet switches the pump's quiet folding of events (model.applyQuiet).
func (a *App) setQuiet(on bool) {
	a.m.mu.Lock()
	a.m.quiet = on
	a.m.mu.Unlock()
}
