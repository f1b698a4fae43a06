package tui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/sandbox/routing"
	"github.com/warrenmq/warren/scenarios"
)

// Session is what the TUI needs of a sandbox.Session. *sandbox.Session
// satisfies it; the interface only keeps this package honest about which
// calls it makes (all of them from the worker, never from the event loop).
type Session interface {
	Events() <-chan sandbox.Event
	Broker() string
	ServerProduct() string
	ServerVersion() string
	State() sandbox.ConnState
	Declare(ctx context.Context, t routing.Topology) error
	Reset(ctx context.Context) error
	Publish(ctx context.Context, p sandbox.Publishing) (sandbox.Published, error)
	Flood(ctx context.Context, p sandbox.Publishing, n int) (int, error)
	SettleQueues(ctx context.Context, queues []string) (unsettled []string, err error)
	Seen(messageID string) []sandbox.Delivery
	WaitDelivered(ctx context.Context, messageID string, queues []string) error
	Dropped() int64
	StartConsumer(ctx context.Context, c sandbox.ConsumerSpec) error
	StopConsumer(name string) error
	PauseConsumer(name string) error
	ResumeConsumer(ctx context.Context, name string) error
	CrashConsumer(name string) error
	SetPrefetch(name string, n int) error
	Ack(consumer string, tag uint64, multiple bool) error
	Nack(consumer string, tag uint64, multiple, requeue bool) error
	Reject(consumer string, tag uint64, requeue bool) error
	Consumers() []sandbox.ConsumerInfo
	QueueStats(ctx context.Context, queue string) (sandbox.QueueStats, error)
	Purge(ctx context.Context, queue string) (int, error)
	Close() error
}

var _ Session = (*sandbox.Session)(nil)

// Config is what the TUI is opened with.
type Config struct {
	Session Session
	// Scenarios are listed in this order: the built-ins, then files named
	// on the command line.
	Scenarios []scenarios.Scenario
	// Initial is the name of the scenario to choose at start ("" = none).
	Initial string
	// NameSuffix is appended to every exchange and queue name declared on
	// the broker (scenarios.Player.Suffix), so that several runs can
	// share one; the screen shows the scenario's names.
	NameSuffix string
	// Predict, when set, replaces the routing model the Player picks for
	// the server's version (tests make it wrong to see a disagreement).
	Predict func(*routing.Topology, routing.Message) routing.Result
	// NoColor draws without colours (bold, underline and reverse only).
	// New also honours the NO_COLOR environment variable.
	NoColor bool
	// Screen is where to draw; nil means the terminal. Tests pass
	// tcell.NewSimulationScreen.
	Screen tcell.Screen
	// AfterDraw, when set, is called on the event loop after every draw
	// (tests wait on it instead of sleeping).
	AfterDraw func(tcell.Screen)
	// RestartBroker restarts the embedded broker in place (the R key and
	// restart_broker steps); nil for a live broker, where R says it
	// restarts only the embedded one.
	RestartBroker func(ctx context.Context) error
	// FloodCount is how many messages the flood key publishes (default 50,000).
	FloodCount int
	// ShutdownTimeout bounds the Reset and Close done on quit (default 5s).
	ShutdownTimeout time.Duration
	// Animation is how long a message takes across the diagram page
	// (about a second; v changes it there). 0 switches it off, as tests
	// leave it.
	Animation time.Duration
	// Quiz starts in quiz mode (warren --quiz; Q switches it).
	Quiz bool
	// URL is the broker's AMQP URL, for the user-update flow page's
	// services (userupdate.go); without it the page cannot start them.
	URL string
}

// redrawEvery is the coalescing period: however many events arrive, the
// screen is redrawn at most this often.
const redrawEvery = 50 * time.Millisecond

// job is network work for the worker goroutine.
type job struct {
	name string
	run  func(ctx context.Context)
}

// App is the Warren terminal UI. Create it with New, run it with Run.
type App struct {
	cfg  Config
	sess Session
	app  *tview.Application
	m    *model
	ui   *widgets
	keys []binding

	jobs      chan job
	quit      chan struct{}
	quitOnce  sync.Once
	jobMu     sync.Mutex
	jobCancel context.CancelFunc // cancels the job the worker is running

	bgCtx    context.Context // the pump and the ticker
	bgCancel context.CancelFunc
	bgWG     sync.WaitGroup
	workerWG sync.WaitGroup
	started  sync.Once

	pumpSync    chan chan struct{}
	loopDone    chan struct{} // closed when tview's loop has returned
	drawPending atomic.Bool
	statsQueued atomic.Bool
	refreshes   atomic.Int64
	keyed       atomic.Bool // a key was pressed: the status line's hints may change
	msgSeq      atomic.Uint64

	flow atomic.Pointer[flowPage] // the user-update flow page (userupdate.go), nil until opened

	th            theme
	player        *scenarios.Player // the chosen scenario's; the worker's alone (play.go)
	recheckQueued atomic.Bool
	scores        *scenarios.ScoreReporter // the class's, made at the first quiz (quiz.go); the worker's
	scoresWarned  bool
	diagramSpeed  atomic.Int64 // the diagram's animation length now, for the ticker (diagram_page.go)
}

// New builds the application. Nothing runs until Run.
func New(cfg Config) (*App, error) {
	if cfg.Session == nil {
		return nil, errors.New("tui: no Session")
	}
	if cfg.FloodCount <= 0 {
		cfg.FloodCount = 50000
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 5 * time.Second
	}
	a := &App{
		cfg:      cfg,
		sess:     cfg.Session,
		app:      tview.NewApplication(),
		m:        newModel(),
		jobs:     make(chan job, 16),
		quit:     make(chan struct{}),
		pumpSync: make(chan chan struct{}),
		loopDone: make(chan struct{}),
	}
	a.th = theme{noColor: cfg.NoColor || os.Getenv("NO_COLOR") != ""}
	a.bgCtx, a.bgCancel = context.WithCancel(context.Background())
	a.m.broker = cfg.Session.Broker()
	a.m.state = cfg.Session.State()
	a.m.version = serverVersion(cfg.Session)
	a.m.nameSuffix = cfg.NameSuffix
	a.m.quizOn = cfg.Quiz
	a.diagramSpeed.Store(int64(cfg.Animation))
	a.keys = a.bindings()
	a.ui = a.build()
	if cfg.Initial != "" {
		i := a.scenarioIndex(cfg.Initial)
		if i < 0 {
			return nil, fmt.Errorf("no scenario named %q (warren list shows them)", cfg.Initial)
		}
		a.ui.scenarios.SetCurrentItem(i)
	}
	if cfg.Screen != nil {
		a.app.SetScreen(cfg.Screen)
	}
	a.app.EnableMouse(true)
	a.app.SetMouseCapture(a.onMouse)
	a.app.SetInputCapture(a.onKey)
	a.app.SetAfterDrawFunc(func(s tcell.Screen) {
		// The loop is running once it has drawn: only now may the
		// background goroutines queue updates to it.
		a.started.Do(a.startBackground)
		if cfg.AfterDraw != nil {
			cfg.AfterDraw(s)
		}
	})
	// What the screen opens with, at the first refresh (after the first
	// draw, so that its size is known): the scenario's about text, or
	// the list to choose from.
	if cfg.Quiz {
		a.submit("quiz", func(ctx context.Context) { a.scoreReporter(ctx) })
	}
	if cfg.Initial != "" {
		sc := &a.cfg.Scenarios[a.scenarioIndex(cfg.Initial)]
		a.later(func() { a.choose(sc) })
	} else {
		a.later(a.showScenarios)
	}
	return a, nil
}

func serverVersion(s Session) string {
	p, v := s.ServerProduct(), s.ServerVersion()
	if p == "" && v == "" {
		return ""
	}
	return p + " " + v
}

func (a *App) scenarioIndex(name string) int {
	for i := range a.cfg.Scenarios {
		if a.cfg.Scenarios[i].Name == name {
			return i
		}
	}
	return -1
}

// Run shows the TUI until the user quits or ctx is cancelled, then deletes
// what Warren declared and closes the Session.
func (a *App) Run(ctx context.Context) error {
	a.workerWG.Add(1)
	go a.worker()
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		<-a.quit
		a.shutdown()
	}()
	stopWatch := context.AfterFunc(ctx, a.requestQuit)
	defer stopWatch()

	err := a.app.Run()
	close(a.loopDone)

	// The loop has stopped. Normally shutdown stopped it, after the
	// background goroutines; if the loop ended some other way (the
	// terminal went away), make sure everything ends anyway.
	a.requestQuit()
	<-closed
	return err
}

// Refreshes is how many times the widgets were refreshed from the model
// (coalesced redraws); tests use it to check that a flood stays bounded.
func (a *App) Refreshes() int64 { return a.refreshes.Load() }

// submit hands network work to the worker. It never blocks: a handler on
// the event loop calls it, and a full queue means the user is typing
// faster than the broker answers, which the log says.
func (a *App) submit(name string, run func(ctx context.Context)) {
	select {
	case a.jobs <- job{name: name, run: run}:
	default:
		a.m.mu.Lock()
		a.m.logf(colWarn, "busy: %q not done, the previous work is still running", name)
		a.m.mu.Unlock()
	}
}

// requestQuit starts the shutdown (safe from any goroutine, any number of times).
func (a *App) requestQuit() {
	a.quitOnce.Do(func() {
		close(a.quit)
		a.jobMu.Lock()
		if a.jobCancel != nil {
			a.jobCancel()
		}
		a.jobMu.Unlock()
	})
}

// worker runs jobs one at a time, in the order the user asked for them,
// until quit.
func (a *App) worker() {
	defer a.workerWG.Done()
	for {
		select {
		case <-a.quit:
			return
		case j := <-a.jobs:
			a.runJob(j)
		}
	}
}

func (a *App) runJob(j job) {
	ctx, cancel := context.WithCancel(a.bgCtx)
	a.jobMu.Lock()
	a.jobCancel = cancel
	a.jobMu.Unlock()
	select {
	case <-a.quit:
		cancel() // quit came while this job was queued
	default:
	}
	a.setBusy(j.name)
	j.run(ctx)
	a.setBusy("")
	a.jobMu.Lock()
	a.jobCancel = nil
	a.jobMu.Unlock()
	cancel()
}

func (a *App) setBusy(what string) {
	a.m.mu.Lock()
	a.m.busy = what
	a.m.dirty = true
	a.m.mu.Unlock()
}

// shutdown runs once, on quit: it waits for the worker's current job
// (cancelled by requestQuit), deletes what Warren declared, closes the
// Session, stops the pump and the ticker while the event loop still runs
// (so neither is left blocked on it) and only then stops the loop. Each
// wait is bounded: a broker that stops answering mid-call must not keep
// the user from quitting.
func (a *App) shutdown() {
	timeout := a.cfg.ShutdownTimeout
	if !waitTimeout(a.workerWG.Wait, timeout) {
		a.logf(colBad, "quit: the broker did not answer within %s; leaving without cleaning up", timeout)
	} else {
		a.setBusy("deleting what Warren declared")
		cleaned := waitTimeout(func() {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			if err := a.sess.Reset(ctx); err != nil {
				a.logf(colBad, "reset on quit: %v", err)
			}
		}, timeout+time.Second)
		if !cleaned {
			a.logf(colBad, "quit: reset did not finish within %s", timeout)
		}
	}
	a.flowShutdown(timeout) // the user-update services, if their page was opened
	waitTimeout(func() { a.sess.Close() }, timeout)
	a.bgCancel()
	a.bgWG.Wait()
	a.app.Stop()
}

// waitTimeout runs f and reports whether it returned within d. When it
// did not, f is left running: the process is on its way out.
func waitTimeout(f func(), d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		f()
		close(done)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// startBackground starts the event pump and the redraw ticker. It runs
// once, on the event loop, after the first draw.
func (a *App) startBackground() {
	select {
	case <-a.bgCtx.Done():
		return
	default:
	}
	a.bgWG.Add(2)
	go a.pump()
	go a.ticker()
}

// pumpBatch is how many waiting events the pump folds in under one lock:
// under a flood, locking once per event would make the pump the
// bottleneck and the Session would drop events.
const pumpBatch = 512

// pump folds Session events into the model. It never touches widgets.
func (a *App) pump() {
	defer a.bgWG.Done()
	events := a.sess.Events()
	for {
		select {
		case <-a.bgCtx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if !a.applyBatch(ev, events) {
				events = nil
			}
		case reply := <-a.pumpSync:
			// Everything already in the channel happened before the
			// worker asked: fold it in before answering.
			for n := len(events); n > 0; n-- {
				ev, ok := <-events
				if !ok {
					events = nil
					break
				}
				a.m.apply(ev)
			}
			close(reply)
		}
	}
}

// applyBatch applies ev and up to pumpBatch events already waiting, under
// one lock. It reports false when the channel was closed.
func (a *App) applyBatch(ev sandbox.Event, events <-chan sandbox.Event) bool {
	a.m.mu.Lock()
	defer a.m.mu.Unlock()
	a.m.applyLocked(ev)
	for range pumpBatch {
		select {
		case ev, ok := <-events:
			if !ok {
				return false
			}
			a.m.applyLocked(ev)
		default:
			return true
		}
	}
	return true
}

// syncPump waits until the pump has applied every event the Session had
// already emitted.
func (a *App) syncPump(ctx context.Context) {
	reply := make(chan struct{})
	select {
	case a.pumpSync <- reply:
	case <-ctx.Done():
		return
	}
	select {
	case <-reply:
	case <-ctx.Done():
	}
}

// ticker coalesces redraws: every redrawEvery it refreshes the widgets if
// the model changed, with at most one refresh queued on the loop at a time.
// Once a second it asks the worker for fresh queue counts.
func (a *App) ticker() {
	defer a.bgWG.Done()
	t := time.NewTicker(redrawEvery)
	defer t.Stop()
	lastStats := time.Now()
	for {
		select {
		case <-a.bgCtx.Done():
			return
		case now := <-t.C:
			if now.Sub(lastStats) >= time.Second {
				lastStats = now
				a.m.mu.Lock()
				if now.Sub(a.m.suppressedSince) >= time.Second {
					a.m.flushSuppressed()
				}
				if a.m.diagramTick() {
					a.m.dirty = true
				}
				a.m.mu.Unlock()
				a.queueStats()
			}
			a.m.mu.Lock()
			// A message on its way across the diagram needs its frames.
			dirty := a.m.dirty || a.keyed.Load() || a.m.diag.animating(now, time.Duration(a.diagramSpeed.Load()))
			recheck := a.m.recheck
			a.m.mu.Unlock()
			if recheck {
				a.queueRecheck()
			}
			if dirty && !a.drawPending.Swap(true) {
				a.queueRefresh()
			}
		}
	}
}

// queueRefresh has the loop run one refresh and draw. tview's
// QueueUpdateDraw waits until the loop has run it, and waits forever once
// the loop is gone; the loop can end on its own, before shutdown stops the
// ticker (a closed terminal: the tty reads EOF), so the wait also ends
// when the loop does. At most one refresh is pending (drawPending), so at
// most one such call is in flight.
func (a *App) queueRefresh() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.app.QueueUpdateDraw(a.refresh)
	}()
	select {
	case <-done:
	case <-a.loopDone:
	}
}

// queueRecheck asks the worker to judge again the messages that were
// waiting, some of which has been delivered since.
func (a *App) queueRecheck() {
	if a.recheckQueued.Swap(true) {
		return
	}
	select {
	case a.jobs <- job{name: "", run: a.doRecheck}:
	default:
		a.recheckQueued.Store(false)
	}
}

// queueStats asks the worker for the broker's counts, unless it is still
// doing the previous ask (or something longer, like a flood).
func (a *App) queueStats() {
	if a.statsQueued.Swap(true) {
		return
	}
	select {
	case a.jobs <- job{name: "", run: a.doStats}:
	default:
		a.statsQueued.Store(false)
	}
}
