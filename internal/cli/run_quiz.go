package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/warrenmq/warren/scenarios"
)

// Predict, then reveal: `warren run SCENARIO --quiz` asks before each
// step's message is published where it will go, reads the learner's
// answer (one line of stdin), publishes, and shows what happened with
// every binding's reason, the answer marked right or wrong. The step's
// narration, which often gives the answer away, comes after the reveal.
// It ends with the line "score: K/N" (a contract). scenarios.Quiz does the
// judging, so the TUI's quiz marks alike.

// quizzer plays a scenario as a quiz.
type quizzer struct {
	narrator
	in *lineReader
	// interactive: stdin is a terminal, so a bad answer is asked again;
	// from a pipe or a file it ends the run as bad input (exit 2).
	interactive bool
	eof         bool // stdin ended: the remaining steps go unanswered
	// scores publishes the score after every answer when the vhost is a
	// class's (warren class); errOut is told once if that fails.
	scores *scenarios.ScoreReporter
	errOut io.Writer
	warned bool
}

// playQuiz plays every step of p's scenario, asking first. The error is
// bad input (a usageError) for an answer Parse refuses, ctx's error on
// Ctrl-C, or what Play returned.
func (z *quizzer) playQuiz(ctx context.Context, p *scenarios.Player, quiz *scenarios.Quiz) ([]scenarios.StepResult, error) {
	sc := p.Scenario
	if about := strings.TrimSpace(sc.About); about != "" {
		fmt.Fprintf(z.out, "%s\n\n", indent(about, ""))
	}
	fmt.Fprintf(z.out, "Quiz: before each message is published, say where it goes. %s A line with ? shows the step's hint.\n\n", quiz.Help())
	if z.scores.Enabled() {
		fmt.Fprintf(z.out, "This vhost belongs to a class: your score goes to the teacher after every answer.\n\n")
	}
	var out []scenarios.StepResult
	for i, st := range sc.Steps {
		fmt.Fprintf(z.out, "Step %d of %d. %s\n", i+1, len(sc.Steps), quiz.Question(i))
		if strings.TrimSpace(st.Quiz) != "" {
			z.tellMessage(st.Publish)
		}
		pred, err := z.ask(ctx, quiz, i)
		if err != nil {
			return out, err
		}
		r, err := p.Play(ctx, i)
		if err != nil {
			return out, err
		}
		out = append(out, r)
		z.reveal(quiz, quiz.Mark(r, pred), r)
		z.report(ctx, quiz, i == len(sc.Steps)-1)
	}
	return out, nil
}

// report publishes the score so far to the class, if there is one.
func (z *quizzer) report(ctx context.Context, quiz *scenarios.Quiz, final bool) {
	if err := z.scores.Report(ctx, quiz.Report(final)); err != nil && !z.warned && z.errOut != nil {
		z.warned = true
		fmt.Fprintf(z.errOut, "warren: the score could not be sent to the class: %v\n", err)
	}
}

// ask reads the answer to step i: nil once stdin has ended.
func (z *quizzer) ask(ctx context.Context, quiz *scenarios.Quiz, i int) (*scenarios.Prediction, error) {
	for !z.eof {
		fmt.Fprint(z.out, "> ")
		line, err := z.in.next(ctx)
		switch {
		case errors.Is(err, io.EOF):
			z.eof = true
			fmt.Fprintln(z.out, "(no more answers: the remaining steps are played unanswered)")
			return nil, nil
		case err != nil:
			fmt.Fprintln(z.out)
			return nil, err
		}
		if !z.interactive {
			fmt.Fprintln(z.out, line) // echo what the pipe said, so the transcript reads as a dialogue
		}
		if strings.TrimSpace(line) == "?" {
			if h := quiz.Hint(i); h != "" {
				fmt.Fprintf(z.out, "  hint: %s\n", h)
			} else {
				fmt.Fprintln(z.out, "  (this step has no hint)")
			}
			continue
		}
		p, err := quiz.Parse(line)
		if err != nil {
			if z.interactive {
				fmt.Fprintf(z.out, "  %v; try again\n", err)
				continue
			}
			return nil, badInput("step %d: %v", i+1, err)
		}
		return &p, nil
	}
	return nil, nil
}

// reveal shows what became of the message, the answer marked, every
// binding's reason, the narration, and the score so far.
func (z *quizzer) reveal(quiz *scenarios.Quiz, m scenarios.Mark, r scenarios.StepResult) {
	switch {
	case !m.Answered:
		fmt.Fprintf(z.out, "  - unanswered: it went to %s\n", m.Truth.Describe())
	case m.Right:
		fmt.Fprintf(z.out, "  ✓ right: %s\n", m.Truth.Describe())
	default:
		fmt.Fprintf(z.out, "  ✗ wrong: you said %s; %s. It went to %s\n",
			m.Prediction.Describe(), strings.Join(m.Wrong, ", "), m.Truth.Describe())
	}
	z.tellRoute(r)
	z.tellDelivered(r)
	if say := strings.TrimSpace(r.Step.Say); say != "" {
		fmt.Fprintf(z.out, "%s\n", indent(say, "  "))
	}
	right, marked := quiz.Score()
	fmt.Fprintf(z.out, "  right so far: %d of %d\n\n", right, marked)
}

// isTerminal says whether r is a terminal (a person typing), not a pipe
// or a file.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// lineReader reads lines one at a time, each read abandoned when ctx ends
// (Ctrl-C at the prompt): the read itself goes on in a goroutine, which
// ends when the input delivers a line or ends (for a terminal, with the
// process), and its line is kept for the next call.
type lineReader struct {
	r       *bufio.Reader
	pending chan lineRead
	err     error // the input's end, once reached
}

type lineRead struct {
	line string
	err  error
}

func newLineReader(r io.Reader) *lineReader { return &lineReader{r: bufio.NewReader(r)} }

// next returns the next line without its line ending; io.EOF once the
// input has ended (a last line without a newline is returned first).
func (l *lineReader) next(ctx context.Context) (string, error) {
	if l.err != nil {
		return "", l.err
	}
	if l.pending == nil {
		ch := make(chan lineRead, 1)
		l.pending = ch
		go func() {
			s, err := l.r.ReadString('\n')
			ch <- lineRead{s, err}
		}()
	}
	select {
	case res := <-l.pending:
		l.pending = nil
		if res.err != nil {
			l.err = res.err
			if res.line == "" {
				return "", res.err
			}
		}
		return strings.TrimRight(res.line, "\r\n"), nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}
