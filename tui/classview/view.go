package classview

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/warrenmq/warren/classroom"
)

// Model is what the screen reads of a class (a *classroom.Class).
type Model interface {
	Snapshot() []classroom.StudentView
	Changed() <-chan struct{}
}

// Config is what View needs.
type Config struct {
	Class Model
	// Title heads the screen: the broker, how to reach it.
	Title string
	// Screen is where to draw; nil means the terminal (tests pass
	// tcell.NewSimulationScreen).
	Screen tcell.Screen
}

// View is the teacher's screen.
type View struct {
	cfg      Config
	app      *tview.Application
	students *tview.List
	detail   *tview.TextView
	status   *tview.TextView

	mu       sync.Mutex
	selected int
	views    []classroom.StudentView
}

// New builds the screen; Run shows it.
func New(cfg Config) *View {
	v := &View{cfg: cfg, app: tview.NewApplication()}
	if cfg.Screen != nil {
		v.app.SetScreen(cfg.Screen)
	}
	v.students = tview.NewList().ShowSecondaryText(true)
	v.students.SetBorder(true).SetTitle(" students ")
	v.students.SetChangedFunc(v.choose)
	v.detail = tview.NewTextView().SetDynamicColors(false).SetScrollable(true)
	v.detail.SetBorder(true).SetTitle(" messages ")
	v.status = tview.NewTextView()
	v.status.SetText(cfg.Title + "  ·  ↑↓ student  ·  q quit")
	body := tview.NewFlex().AddItem(v.students, 34, 0, true).AddItem(v.detail, 0, 1, false)
	root := tview.NewFlex().SetDirection(tview.FlexRow).AddItem(body, 0, 1, true).AddItem(v.status, 1, 0, false)
	v.app.SetRoot(root, true)
	v.app.SetInputCapture(func(ev *tcell.EventKey) *tcell.EventKey {
		if ev.Key() == tcell.KeyCtrlC || ev.Rune() == 'q' {
			v.app.Stop()
			return nil
		}
		return ev
	})
	v.refresh()
	return v
}

// Run shows the screen until q, Ctrl-C or ctx's end.
func (v *View) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		v.follow(ctx)
	}()
	stop := context.AfterFunc(ctx, v.app.Stop)
	err := v.app.Run()
	stop()
	cancel()
	wg.Wait()
	return err
}

// follow redraws after the class changed, at most every 50 ms.
func (v *View) follow(ctx context.Context) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	dirty := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-v.cfg.Class.Changed():
			dirty = true
		case <-tick.C:
			if dirty {
				dirty = false
				v.app.QueueUpdateDraw(v.refresh)
			}
		}
	}
}

// refresh reads the class and fills the widgets (on the event loop).
func (v *View) refresh() {
	views := v.cfg.Class.Snapshot()
	v.mu.Lock()
	v.views = views
	sel := v.selected
	v.mu.Unlock()
	v.students.SetChangedFunc(nil)
	v.students.Clear()
	for _, s := range views {
		v.students.AddItem(studentLine(s), "  "+scoreLine(s), 0, nil)
	}
	if sel < len(views) {
		v.students.SetCurrentItem(sel)
	}
	v.students.SetChangedFunc(v.choose)
	v.fillDetail()
}

// choose shows student i (the list's cursor moved).
func (v *View) choose(i int, _, _ string, _ rune) {
	v.mu.Lock()
	v.selected = i
	v.mu.Unlock()
	v.fillDetail()
}

func studentLine(s classroom.StudentView) string {
	mark := "●"
	if !s.Connected {
		mark = "○"
	}
	return fmt.Sprintf("%s %s  %d msg", mark, s.Student.Name, s.Published)
}

func scoreLine(s classroom.StudentView) string {
	if len(s.Scores) == 0 {
		return "no quiz yet"
	}
	var parts []string
	for _, sc := range s.Scores {
		p := fmt.Sprintf("%s %d/%d", sc.Scenario, sc.Right, sc.Steps)
		if !sc.Final {
			p += "…"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}

func (v *View) fillDetail() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.selected >= len(v.views) {
		v.detail.SetText("")
		return
	}
	s := v.views[v.selected]
	var b strings.Builder
	fmt.Fprintf(&b, "%s  ·  user %s  ·  vhost %s\n%s\n", s.Student.Name, s.Student.User, s.Student.VHost, s.Student.URL)
	if s.Err != "" {
		fmt.Fprintf(&b, "problem: %s\n", s.Err)
	}
	for _, sc := range s.Scores {
		state := "playing"
		if sc.Final {
			state = "done"
		}
		fmt.Fprintf(&b, "quiz %s: %d of %d right (%s, %d answered)\n", sc.Scenario, sc.Right, sc.Steps, state, sc.Answered)
	}
	if len(s.Traffic) == 0 {
		b.WriteString("\nnothing published yet\n")
	}
	for _, tr := range s.Traffic {
		b.WriteString("\n" + tr.Time.Format("15:04:05") + " ")
		b.WriteString(strings.Join(classroom.Describe(tr), "\n") + "\n")
	}
	v.detail.SetText(b.String())
	v.detail.ScrollToEnd()
}
