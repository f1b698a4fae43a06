package classview

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"go.uber.org/goleak"

	"github.com/warrenmq/warren/classroom"
	"github.com/warrenmq/warren/sandbox/routing"
	"github.com/warrenmq/warren/scenarios"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeClass is a class whose views the test sets.
type fakeClass struct {
	mu      sync.Mutex
	views   []classroom.StudentView
	changed chan struct{}
}

func (f *fakeClass) Snapshot() []classroom.StudentView {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]classroom.StudentView(nil), f.views...)
}

func (f *fakeClass) Changed() <-chan struct{} { return f.changed }

func (f *fakeClass) set(fn func([]classroom.StudentView)) {
	f.mu.Lock()
	fn(f.views)
	f.mu.Unlock()
	select {
	case f.changed <- struct{}{}:
	default:
	}
}

// screenText is the simulation screen's contents as lines.
func screenText(s tcell.SimulationScreen) string {
	cells, w, h := s.GetContents()
	var b strings.Builder
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := cells[y*w+x]
			if len(c.Runes) > 0 {
				b.WriteRune(c.Runes[0])
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func TestTeacherScreen(t *testing.T) {
	screen := tcell.NewSimulationScreen("UTF-8")
	class := &fakeClass{changed: make(chan struct{}, 1), views: []classroom.StudentView{
		{Student: classroom.Student{Name: "student-01", User: "student-01", VHost: "student-01", URL: "amqp://student-01:pw@h:1/student-01"}, Connected: true},
		{Student: classroom.Student{Name: "student-02", User: "student-02", VHost: "student-02", URL: "amqp://student-02:pw@h:1/student-02"}, Connected: true},
	}}
	v := New(Config{Class: class, Title: "warren class · 2 students", Screen: screen})
	drawn := make(chan string, 64)
	v.app.SetAfterDrawFunc(func(tcell.Screen) {
		// tview calls this before it shows what it drew: show it first,
		// as GetContents reads what has been shown
		screen.Show()
		select {
		case drawn <- screenText(screen):
		default:
		}
	})
	waitFor := func(what string, ok func(string) bool) string {
		t.Helper()
		deadline := time.After(30 * time.Second)
		last := ""
		for {
			select {
			case last = <-drawn:
				if ok(last) {
					return last
				}
			case <-deadline:
				t.Fatalf("waited 30s for %s; the screen:\n%s", what, last)
			}
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- v.Run(ctx) }()
	v.app.QueueUpdateDraw(func() { screen.SetSize(160, 24) })

	waitFor("the students", func(s string) bool {
		return strings.Contains(s, "student-02  0 msg") && strings.Contains(s, "nothing published yet") && strings.Contains(s, "warren class · 2 students")
	})

	// student-02 publishes from their own code, and plays a quiz.
	topo := routing.Topology{Exchanges: []routing.Exchange{{Name: "animals", Type: routing.Topic}}, Queues: []routing.Queue{{Name: "Q1"}},
		Bindings: []routing.Binding{{Source: "animals", Destination: "Q1", RoutingKey: "*.orange.*"}}}
	route := routing.Route(&topo, routing.Message{Exchange: "animals", RoutingKey: "quick.orange.rabbit"})
	class.set(func(vs []classroom.StudentView) {
		vs[1].Published = 1
		vs[1].Traffic = []classroom.Traffic{{Time: time.Now(), Exchange: "animals", RoutingKey: "quick.orange.rabbit", User: "student-02",
			Routed: []string{"Q1"}, Route: route, Agrees: true}}
		vs[1].Scores = []classroom.Score{{ScoreReport: scenarios.ScoreReport{Scenario: "topic", Right: 7, Answered: 9, Steps: 9, Final: true}}}
	})
	waitFor("student-02's count and score", func(s string) bool {
		return strings.Contains(s, "student-02  1 msg") && strings.Contains(s, "topic 7/9")
	})
	screen.InjectKey(tcell.KeyDown, 0, tcell.ModNone)
	waitFor("student-02's messages, explained", func(s string) bool {
		return strings.Contains(s, `student-02 published to animals, routing key "quick.orange.rabbit"`) &&
			strings.Contains(s, "went to Q1") && strings.Contains(s, `✓ animals -["*.orange.*"]-> Q1: '*' matched 'quick'`) &&
			strings.Contains(s, "quiz topic: 7 of 9 right (done, 9 answered)")
	})
	screen.InjectKey(tcell.KeyRune, 'q', tcell.ModNone)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("q did not quit")
	}
	cancel()
}
