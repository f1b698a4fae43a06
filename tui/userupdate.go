package tui

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/scenarios/userupdate"
)

// The user-update flow page (issue 5, item 4): the article's user service
// and profile service run in-process against the App's broker, with a form
// to POST an update, the path of its event (request, exchange, binding,
// queue, consumer, ack), both stores side by side and switches that break
// the profile service on purpose.
//
// Concurrency, within the App's model (see doc.go):
//
//   - widgets are touched on the event loop only: key handlers, and
//     flowPage.render, which the worker and the services' callbacks ask for
//     through App.later (at most one render queued at a time, so a burst of
//     events is one redraw at the ticker's next tick);
//   - the services are created, switched, snapshotted and closed by jobs on
//     the App's worker, in the order the user asked; Update is a local
//     store transaction and never waits for the broker;
//   - the services call flowPage.onEvent on their own goroutines: it copies
//     the event into flowPage's state under f.mu and returns (never blocks,
//     never calls back into a service);
//   - lock order: a.m.mu before f.mu. f.mu is never held while taking a.m.mu
//     or doing I/O, and code that may run inside refresh (open, render) never
//     takes a.m.mu;
//   - quitting: App.shutdown calls flowShutdown once the worker has stopped;
//     it closes the services (waiting for their goroutines) and deletes their
//     topology, within the shutdown timeout. Leaving the page does the same
//     from a worker job.

// flowScenario is the scenario whose choice opens the page.
const flowScenario = "user-update"

const (
	flowPageName   = "flow"
	flowOutboxRows = 6
	flowLogLines   = 200
	flowPrefix     = "warren-tui"
)

// Path stages, in the order an event travels.
const (
	flowReq = iota
	flowExchange
	flowBinding
	flowQueue
	flowConsumer
	flowAck
	flowStages
)

// flowStage is one step of the path as the middle pane shows it.
type flowStage struct {
	Detail string // the last event's outcome, with its reason
	MsgID  string
	Color  string // "" = nothing happened here yet
}

// flowRun is one start of the two services.
type flowRun struct {
	users *userupdate.UserService
	profs *userupdate.ProfileService
	names userupdate.Names
	url   string
}

// flowState is what the page shows; f.mu guards it.
type flowState struct {
	gen        int // incremented by every start: events of an older run are dropped
	running    bool
	names      userupdate.Names
	stages     [flowStages]flowStage
	request    string // the last POST, as the request stage's header
	comp       flowStage
	compRank   int                 // how far the compensation shown in comp got (see setComp)
	focus      string              // message id of the latest event on the path: its stages are lit
	trails     map[string][]string // what happened to each recent message, in order
	trailOrder []string            // their ids, oldest first (bounded by flowTrails)
	queueReady bool                // the profile queue was declared: its counts may be asked for

	users    []userupdate.User
	profiles []userupdate.Profile
	outbox   []userupdate.OutboxEntry
	pending  int
	ready    int
	cons     int
	statsOK  bool
	dead     int // messages in the dead-letter queue (refused events)
	deadOK   bool
	userUp   bool
	profUp   bool
	consumes bool

	crashArmed  bool
	refuseArmed bool
	stopped     bool // the user asked the consumer to stop

	hint      string // the form's last answer (201 or what to fix)
	hintShort string // the same for a narrow form, "" = cut hint
	log       ring[logLine]
	logSeen   int // log lines pushed so far, to know when the log changed
}

// flowPage is the page, its widgets (event loop only) and its state.
type flowPage struct {
	a *App
	w *flowWidgets

	mu            sync.Mutex
	st            flowState
	run           *flowRun // nil when the services are not running
	renderQueued  bool
	snapshotQueue bool
}

// flowOpen shows the page and starts the services if they are not running.
// It runs on the event loop, possibly inside refresh (chosen scenario), so
// it never takes a.m.mu.
func (a *App) flowOpen() {
	f := a.flow.Load()
	if f == nil {
		f = &flowPage{a: a}
		f.st.log = newRing[logLine](flowLogLines)
		f.w = f.build()
		a.ui.pages.AddPage(flowPageName, f.w.root, true, false)
		a.flow.Store(f)
	}
	if a.flowShown() {
		return
	}
	a.ui.lastFocus = a.app.GetFocus()
	a.ui.pages.SwitchToPage(flowPageName)
	a.app.SetFocus(f.w.name)
	// Always ask: a stop queued by leaving the page a moment ago runs
	// first (one worker, in order), and doStart does nothing if the
	// services are still running.
	f.submit("start the user-update services", f.doStart)
	f.render()
}

// flowShown says whether the flow page is the one on screen.
func (a *App) flowShown() bool {
	if a.ui == nil || a.ui.pages == nil {
		return false
	}
	name, _ := a.ui.pages.GetFrontPage()
	return name == flowPageName
}

// leave goes back to the main page and stops the services (on the worker).
func (f *flowPage) leave() {
	a := f.a
	a.ui.pages.SwitchToPage("main")
	if a.ui.lastFocus != nil {
		a.app.SetFocus(a.ui.lastFocus)
	} else {
		a.app.SetFocus(a.ui.routes)
	}
	f.submit("stop the user-update services", func(ctx context.Context) {
		f.stopRun(ctx)
		// The main page's log: that is where the user is now.
		a.logf("yellow", "user-update services stopped; their exchanges and queues deleted")
	})
}

// flowShutdown stops the services when the App quits: the worker has
// stopped, so nothing else touches them.
func (a *App) flowShutdown(timeout time.Duration) {
	f := a.flow.Load()
	if f == nil {
		return
	}
	if !waitTimeout(func() { f.stopRun(context.Background()) }, timeout) {
		a.logf("red", "quit: the user-update services did not stop within %s", timeout)
	}
}

// submit hands work to the App's worker without blocking. It runs on the
// event loop, possibly inside refresh, so it never takes a.m.mu: a full
// queue is said in the page's log, rendered at once.
func (f *flowPage) submit(name string, run func(ctx context.Context)) {
	select {
	case f.a.jobs <- job{name: name, run: run}:
	default:
		f.mu.Lock()
		f.st.log.push(logLine{At: time.Now(), Color: "yellow", Text: fmt.Sprintf("busy: %q not done, the previous work is still running", name)})
		f.st.logSeen++
		f.mu.Unlock()
		f.render()
	}
}

// logf adds a line to the page's log and asks for a render.
func (f *flowPage) logf(color, format string, args ...any) {
	f.mu.Lock()
	f.st.log.push(logLine{At: time.Now(), Color: color, Text: fmt.Sprintf(format, args...)})
	f.st.logSeen++
	f.mu.Unlock()
	f.queueRender()
}

// queueRender asks for one render at the App's next refresh. Never called
// with f.mu held (later takes a.m.mu).
func (f *flowPage) queueRender() {
	f.mu.Lock()
	if f.renderQueued {
		f.mu.Unlock()
		return
	}
	f.renderQueued = true
	f.mu.Unlock()
	f.a.later(f.render)
}

// kickSnapshot asks the worker to read both stores and the queue's counts,
// unless such a job is already waiting. Safe from any goroutine; never blocks.
func (f *flowPage) kickSnapshot() {
	f.mu.Lock()
	if f.snapshotQueue || f.run == nil {
		f.mu.Unlock()
		return
	}
	f.snapshotQueue = true
	f.mu.Unlock()
	select {
	case f.a.jobs <- job{name: "", run: f.doSnapshot}:
	default:
		// The worker is busy with the user's work; the next event asks again.
		f.mu.Lock()
		f.snapshotQueue = false
		f.mu.Unlock()
	}
}

// doStart creates and starts both services on fresh in-memory stores with
// names of their own (so a real user_updates on the same broker is left alone).
func (f *flowPage) doStart(ctx context.Context) {
	url := f.a.cfg.URL
	f.mu.Lock()
	running := f.run != nil
	f.mu.Unlock()
	if running {
		return
	}
	if url == "" {
		f.logf("red", "the user-update flow needs the broker's URL (Config.URL); nothing started")
		return
	}
	names := userupdate.UniqueNames(flowPrefix)
	f.mu.Lock()
	f.st.gen++
	gen := f.st.gen
	log := f.st.log
	f.st = flowState{gen: gen, names: names, log: log, logSeen: f.st.logSeen, running: true}
	f.mu.Unlock()
	onEvent := func(e userupdate.Event) { f.onEvent(gen, e) }
	users, err := userupdate.NewUserService(url, "", onEvent, userupdate.WithNames(names))
	if err != nil {
		f.failStart(err)
		return
	}
	profs, err := userupdate.NewProfileService(url, "", onEvent, userupdate.WithNames(names), userupdate.WithPrefetch(1))
	if err != nil {
		users.Close()
		f.failStart(err)
		return
	}
	run := &flowRun{users: users, profs: profs, names: names, url: url}
	// Start only fails after Close or a second Start; neither can happen here.
	_ = users.Start(context.Background())
	_ = profs.Start(context.Background())
	f.mu.Lock()
	f.run = run
	f.mu.Unlock()
	f.kickSnapshot() // what the services said before f.run was set asked for none
	f.logf("yellow", "user-update flow: both services started on %s; their names are prefixed %s",
		f.a.sess.Broker(), flowNamePrefix(names))
}

func (f *flowPage) failStart(err error) {
	f.mu.Lock()
	f.st.running = false
	f.mu.Unlock()
	f.logf("red", "start the user-update services: %v", err)
}

// stopRun closes both services (waiting for their goroutines) and deletes
// what they declared. It runs on the worker, or in shutdown after the
// worker stopped.
func (f *flowPage) stopRun(ctx context.Context) {
	f.mu.Lock()
	run := f.run
	f.run = nil
	f.st.gen++ // what the closing services still say is not this page's any more
	f.st.running = false
	f.mu.Unlock()
	if run == nil {
		return
	}
	run.users.Close()
	run.profs.Close()
	if err := userupdate.DeleteTopology(run.url, run.names); err != nil {
		f.logf("red", "delete the user-update exchanges and queues: %v", err)
	}
}

// doReset starts afresh: empty stores, new names, switches off.
func (f *flowPage) doReset(ctx context.Context) {
	f.stopRun(ctx)
	f.doStart(ctx)
	f.logf("yellow", "reset: both stores are empty, the switches are off")
}

// withRun runs fn with the running services, or logs that there are none.
func (f *flowPage) withRun(what string, fn func(r *flowRun)) {
	f.mu.Lock()
	run := f.run
	f.mu.Unlock()
	if run == nil {
		f.logf("red", "%s: the services are not running (r starts them again)", what)
		return
	}
	fn(run)
	f.queueRender()
	f.kickSnapshot()
}

// doUpdate is the form's POST /users/{id}: a local transaction in the user
// service; the event leaves through the outbox when the broker confirms it.
func (f *flowPage) doUpdate(ctx context.Context, id int64, name string) {
	f.withRun("POST", func(r *flowRun) {
		u, err := r.users.Update(ctx, id, name)
		f.mu.Lock()
		defer f.mu.Unlock()
		var in *userupdate.InputError
		switch {
		case errors.As(err, &in):
			f.st.hint = "[red]400 " + in.Reason
			f.st.log.push(logLine{At: time.Now(), Color: "red", Text: fmt.Sprintf("POST /users/%d -> 400 %s", id, in.Reason)})
			f.st.logSeen++
			f.st.request = fmt.Sprintf("POST /users/%d", id)
			f.st.stages[flowReq] = flowStage{Detail: "400 Bad Request: nothing stored, nothing published", Color: "red"}
			f.st.focus = ""
		case err != nil:
			f.st.hint = "[red]500 " + err.Error()
		default:
			f.st.hint = fmt.Sprintf(`[green]201 {"full_name": %q}`, u.FullName)
			f.st.hintShort = "[green]201 Created"
		}
	})
}

func (f *flowPage) doCrash(ctx context.Context) {
	f.withRun("crash before ack", func(r *flowRun) {
		f.mu.Lock()
		f.st.crashArmed = !f.st.crashArmed
		armed := f.st.crashArmed
		f.mu.Unlock()
		if armed {
			r.profs.CrashBeforeAck(1)
			f.logf("yellow", "switch: the profile service will crash after applying the next event, before its ack")
		} else {
			r.profs.CrashBeforeAck(0)
			f.logf("yellow", "switch: crash before ack disarmed")
		}
	})
}

func (f *flowPage) doRefuse(ctx context.Context) {
	f.withRun("refuse", func(r *flowRun) {
		f.mu.Lock()
		f.st.refuseArmed = !f.st.refuseArmed
		armed := f.st.refuseArmed
		f.mu.Unlock()
		if armed {
			r.profs.RefuseNext(1)
			f.logf("yellow", "switch: the profile service will refuse the next event (nack to the dead-letter queue, compensation)")
		} else {
			r.profs.RefuseNext(0)
			f.logf("yellow", "switch: refuse disarmed")
		}
	})
}

func (f *flowPage) doStopStart(ctx context.Context) {
	f.withRun("stop/start consumer", func(r *flowRun) {
		f.mu.Lock()
		f.st.stopped = !f.st.stopped
		stop := f.st.stopped
		f.mu.Unlock()
		if stop {
			r.profs.StopConsumer()
		} else {
			r.profs.StartConsumer()
		}
	})
}

// doSnapshot reads both stores, the outbox and the profile queue's counts.
func (f *flowPage) doSnapshot(ctx context.Context) {
	f.mu.Lock()
	f.snapshotQueue = false
	run, gen, ask := f.run, f.st.gen, f.st.queueReady
	f.mu.Unlock()
	if run == nil {
		return
	}
	users, uerr := run.users.Users()
	profiles, perr := run.profs.Profiles()
	outbox, oerr := run.users.Outbox(flowOutboxRows)
	pending, _ := run.users.Pending()
	var st sandbox.QueueStats
	var serr error = errors.New("not declared yet")
	if ask {
		sctx, cancel := context.WithTimeout(ctx, statsTimeout)
		st, serr = f.a.sess.QueueStats(sctx, run.names.ProfileQueue)
		cancel()
	}
	var dead sandbox.QueueStats
	var derr error = errors.New("not declared yet")
	if ask {
		sctx, cancel := context.WithTimeout(ctx, statsTimeout)
		dead, derr = f.a.sess.QueueStats(sctx, run.names.DeadLetterQueue)
		cancel()
	}
	f.mu.Lock()
	if f.st.gen == gen {
		if uerr == nil {
			f.st.users = users
		}
		if perr == nil {
			f.st.profiles = profiles
		}
		if oerr == nil {
			f.st.outbox = outbox
		}
		f.st.pending = pending
		f.st.statsOK = serr == nil
		if serr == nil {
			f.st.ready, f.st.cons = st.Ready, st.Consumers
		}
		f.st.deadOK = derr == nil
		if derr == nil {
			f.st.dead = dead.Ready
		}
		f.st.userUp, f.st.profUp, f.st.consumes = run.users.Connected(), run.profs.Connected(), run.profs.Consuming()
	}
	f.mu.Unlock()
	f.queueRender()
}
