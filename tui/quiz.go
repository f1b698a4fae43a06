package tui

import (
	"context"
	"fmt"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/warrenmq/warren/scenarios"
)

// Quiz mode (Q): predict, then reveal, for any scenario. With it on, s
// does not publish at once: it asks where the next step's message will go
// (the quiz panel, quiz_view.go: the step's quiz text or a question made
// from the message, the scenario's queues and consumers to toggle, and
// returned / dropped / alternate exchange). Enter commits the prediction;
// then the step is played as `warren run --quiz` plays it (manual-ack
// consumers ack at once), scenarios.Quiz marks the prediction, and the
// reveal shows it: the routing pane's verdicts with every binding's
// reason, the mark and the running score in its title and in the status
// line, and only now the step's narration (say), which often gives the
// answer away. After the last step the log says "score: K/N". When the
// vhost belongs to a class (warren class), the score goes to the teacher
// after every answer, as `warren run --quiz` sends it
// (scenarios.ScoreReporter).
//
// The handlers run on the event loop; m.quiz is guarded by m.mu, and the
// score reporter belongs to the worker.

// quizToggle turns quiz mode on or off (Q).
func (a *App) quizToggle() {
	a.m.mu.Lock()
	if sc := a.m.scenario; !a.m.quizOn && sc != nil && sc.RestartsBroker() {
		// a restart publishes nothing: there is no route to predict
		a.m.logf(colWarn, "%s restarts the broker in a step, which publishes nothing to predict: it has no quiz (s plays it)", sc.Name)
		a.m.mu.Unlock()
		return
	}
	a.m.quizOn = !a.m.quizOn
	on, sc := a.m.quizOn, a.m.scenario
	if on {
		a.m.logf(colHead, "quiz mode on: s asks where the next step's message goes before it is published; its narration comes after the reveal. Q turns it off")
		if sc != nil {
			if a.m.quiz == nil || a.m.quiz.Scenario != sc {
				a.m.quiz = scenarios.NewQuiz(sc)
			}
			a.quizIntroLocked(sc)
		}
	} else {
		a.m.logf(colHead, "quiz mode off: s plays the next step at once")
	}
	a.m.mu.Unlock()
	if !on && a.ui.ask != nil {
		a.quizClose()
	}
	if on {
		a.submit("quiz", func(ctx context.Context) { a.scoreReporter(ctx) })
	}
}

// quizIntroLocked says what the quiz of sc needs to know. Callers hold m.mu.
func (a *App) quizIntroLocked(sc *scenarios.Scenario) {
	if manual := manualConsumers(sc); len(manual) > 0 {
		a.m.logf(colInfo, "the quiz plays steps as warren run does: %s ack each message as it arrives", strings.Join(manual, " and "))
	}
	if n := a.m.nextStep; n > 0 {
		a.m.logf(colInfo, "steps 1-%d were played before the quiz began: they count as unanswered (b goes back a step, r then s starts again)", n)
	}
}

// stepKey is s: the next step, asked first in quiz mode.
func (a *App) stepKey() {
	a.m.mu.Lock()
	on := a.m.quizOn
	a.m.mu.Unlock()
	if on {
		a.quizAsk()
		return
	}
	a.submit("step", a.doStep)
}

// allStepsKey is S, which in quiz mode would reveal without asking.
func (a *App) allStepsKey() {
	a.m.mu.Lock()
	on := a.m.quizOn
	if on {
		a.m.logf(colWarn, "quiz mode: s asks the next step; S would play them all unasked (Q turns quiz mode off)")
	}
	a.m.mu.Unlock()
	if !on {
		a.submit("all steps", a.doAllSteps)
	}
}

// quizAsk opens the quiz panel on the next step's question.
func (a *App) quizAsk() {
	m := a.m
	m.mu.Lock()
	defer m.mu.Unlock()
	sc := m.scenario
	switch {
	case !m.quizOn:
		return
	case sc == nil:
		m.logf(colWarn, "choose a scenario first (l lists them)")
		return
	case len(sc.Steps) == 0:
		m.logf(colWarn, "scenario %s has no steps to ask about", sc.Name)
		return
	case m.nextStep >= len(sc.Steps):
		right, _ := m.quiz.Score()
		m.logf(colWarn, "%s: all %d steps played, %d right (%s); b goes back a step, r then s starts again", sc.Name, len(sc.Steps), right, m.quiz.ScoreLine())
		return
	}
	if m.quiz == nil || m.quiz.Scenario != sc {
		m.quiz = scenarios.NewQuiz(sc)
	}
	i := m.nextStep
	a.ui.ask = newQuizAsk(sc, m.quiz, i)
	m.last = nil // the previous message's verdicts are not this one's
	m.narration = fmt.Sprintf("Step %d/%d: where does its message go? Answer below; the step's narration comes after the reveal.", i+1, len(sc.Steps))
	m.dirty = true
	if a.ui.formOpen {
		a.ui.formOpen = false
	}
	if f := a.app.GetFocus(); f != a.ui.quiz {
		a.ui.quizBack = f
	}
	a.app.SetFocus(a.ui.quiz)
	a.layoutLocked(a.ui.screenW, a.ui.screenH)
}

// onMouse keeps the quiz panel modal for the mouse as it is for keys: while
// a question is open, a click elsewhere would take the focus off the panel
// and leave the learner's toggles unreachable, so only clicks on the panel
// get through. The wheel still scrolls the routing pane, where the
// bindings are while the learner thinks.
func (a *App) onMouse(ev *tcell.EventMouse, action tview.MouseAction) (*tcell.EventMouse, tview.MouseAction) {
	if a.ui == nil || a.ui.ask == nil || ev == nil {
		return ev, action
	}
	switch action {
	case tview.MouseScrollUp, tview.MouseScrollDown, tview.MouseScrollLeft, tview.MouseScrollRight, tview.MouseMove:
		return ev, action
	}
	if x, y := ev.Position(); a.ui.quiz.InRect(x, y) {
		return ev, action
	}
	return nil, action
}

// quizClose closes the panel and gives the focus back.
func (a *App) quizClose() {
	a.ui.ask = nil
	back := a.ui.quizBack
	if back == nil || back == a.ui.quiz || a.ui.publish.has(back) {
		back = a.ui.routes
	}
	a.ui.quizBack = nil
	a.app.SetFocus(back)
	a.relayout()
}

// quizLater is Esc on the panel: the step is not played; s asks again.
func (a *App) quizLater() {
	if ask := a.ui.ask; ask != nil {
		a.m.mu.Lock()
		if sc := a.m.scenario; sc != nil {
			a.m.narration = fmt.Sprintf("Step %d/%d: not answered yet; s asks again.", ask.step+1, len(sc.Steps))
			a.m.dirty = true
		}
		a.m.mu.Unlock()
	}
	a.quizClose()
}

// quizCommit is Enter on the panel: the prediction, read by
// scenarios.Quiz.Parse as `warren run --quiz` reads a typed line, goes to
// the worker with the step.
func (a *App) quizCommit() {
	ask := a.ui.ask
	if ask == nil {
		return
	}
	a.m.mu.Lock()
	q := a.m.quiz
	if q == nil || a.m.scenario != q.Scenario || a.m.nextStep != ask.step {
		a.m.mu.Unlock()
		a.quizClose()
		return
	}
	pred, err := q.Parse(ask.line())
	if err != nil {
		ask.err = err.Error()
		a.m.mu.Unlock()
		a.relayout()
		return
	}
	i, n := ask.step, len(q.Scenario.Steps)
	a.m.narration = fmt.Sprintf("Step %d/%d: you said %s. Publishing...", i+1, n, pred.Describe())
	a.m.dirty = true
	a.m.mu.Unlock()
	a.quizClose()
	a.submit(fmt.Sprintf("quiz step %d", i+1), func(ctx context.Context) { a.doQuizStep(ctx, i, pred) })
}

// doQuizStep plays step i, judges pred against it, reveals, and sends the
// score to the class if there is one. On the worker.
func (a *App) doQuizStep(ctx context.Context, i int, pred scenarios.Prediction) {
	sc, ok := a.ensureDeclared(ctx)
	if !ok {
		return
	}
	a.m.mu.Lock()
	q, next := a.m.quiz, a.m.nextStep
	a.m.mu.Unlock()
	if q == nil || q.Scenario != sc || next != i {
		a.logf(colWarn, "quiz: the scenario changed before the answer was in; s asks again")
		return
	}
	r := a.playAt(ctx, sc, i, playHow{asRun: true})
	if r == nil {
		return
	}
	a.m.mu.Lock()
	mark := q.Mark(*r, &pred)
	right, marked := q.Score()
	n := len(sc.Steps)
	head := fmt.Sprintf("Step %d/%d ✓ right: %s.", i+1, n, mark.Truth.Describe())
	if mark.Right {
		a.m.logf(colOK, "quiz step %d ✓ right: %s; score %d/%d", i+1, mark.Truth.Describe(), right, marked)
	} else {
		head = fmt.Sprintf("Step %d/%d ✗ wrong: it went to %s.", i+1, n, mark.Truth.Describe())
		a.m.logf(colBad, "quiz step %d ✗ wrong: you said %s; %s; score %d/%d", i+1, mark.Prediction.Describe(), strings.Join(mark.Wrong, ", "), right, marked)
	}
	say := strings.Join(strings.Fields(sc.Steps[i].Say), " ")
	a.m.narration = strings.TrimSpace(head + " " + say)
	if say != "" {
		a.m.logf(colText, "  %s", say)
	}
	final := i == n-1
	if final {
		line := q.ScoreLine()
		tone := colOK
		if right < n {
			tone = colBad
		}
		a.m.logf(tone, "%s", line)
		a.m.narration += " Quiz over: " + line + "."
	}
	a.m.dirty = true
	rep := q.Report(final)
	a.m.mu.Unlock()
	a.reportScore(ctx, rep)
}

// scoreReporter is the class's score reporter, made at first use (it
// asks the broker whether the vhost is a class's). On the worker.
func (a *App) scoreReporter(ctx context.Context) *scenarios.ScoreReporter {
	if a.scores == nil {
		a.scores = scenarios.NewScoreReporter(ctx, a.sess)
		if a.scores.Enabled() {
			a.logf(colInfo, "this vhost belongs to a class: your quiz score goes to the teacher after every answer")
		}
	}
	return a.scores
}

// reportScore sends rep to the class, if the vhost is a class's; a
// failure is said once. On the worker.
func (a *App) reportScore(ctx context.Context, rep scenarios.ScoreReport) {
	if err := a.scoreReporter(ctx).Report(ctx, rep); err != nil && !a.scoresWarned {
		a.scoresWarned = true
		a.logf(colWarn, "the quiz score could not be sent to the class: %v", err)
	}
}

// quizMark is the quiz's mark of step (1-based), in quiz mode. Callers
// hold m.mu.
func (a *App) quizMark(step int) (scenarios.Mark, bool) {
	m := a.m
	if step <= 0 || m.quizScoreLocked() == "" {
		return scenarios.Mark{}, false
	}
	return m.quiz.MarkOf(step)
}

// quizScoreLocked is the running score for the screen ("", not in quiz
// mode). Callers hold m.mu.
func (m *model) quizScoreLocked() string {
	if !m.quizOn || m.quiz == nil || m.quiz.Scenario != m.scenario {
		return ""
	}
	right, marked := m.quiz.Score()
	return fmt.Sprintf("score %d/%d", right, marked)
}
