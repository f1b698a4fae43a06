package userupdate

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"

	amqp "github.com/rabbitmq/amqp091-go"
)

// ProfileService keeps its own copy of each user's full name, applied from
// the user service's events.
type ProfileService struct {
	opts  options
	em    emitter
	store *profileStore
	link  *link

	// Switches for demos and tests (see CrashBeforeAck and friends).
	crashBeforeAck   atomic.Int64
	crashBeforeApply atomic.Int64
	refuseNext       atomic.Int64
	stopped          atomic.Bool
	consuming        atomic.Bool
	ctl              chan struct{} // wakes the consumer loop after StopConsumer/StartConsumer

	life lifecycle
}

// NewProfileService opens the profile service's store (dbPath: a bbolt
// file, or "" for a private in-memory database) and prepares its link to
// the broker at url. Nothing runs until Start; onEvent (may be nil) hears
// everything the service does.
func NewProfileService(url, dbPath string, onEvent func(Event), opts ...Option) (*ProfileService, error) {
	o := buildOptions(opts)
	st, err := openProfileStore(context.Background(), dbPath, o.retention)
	if err != nil {
		return nil, fmt.Errorf("profile service: %w", err)
	}
	em := emitter{service: "profile-service", fn: onEvent}
	return &ProfileService{
		opts:  o,
		em:    em,
		store: st,
		link:  &link{url: url, em: em, backoffMin: o.backoffMin, backoffMax: o.backoffMax},
		life:  lifecycle{service: "profile service"},
		ctl:   make(chan struct{}, 1),
	}, nil
}

// Names are the exchanges, queues and routing keys this service uses.
func (p *ProfileService) Names() Names { return p.opts.names }

// Start connects to the broker (retrying with backoff until it accepts),
// declares the exchange, the dead-letter exchange and queue, and its own
// queue bound with user.profile.*, and consumes from it, reconnecting
// whenever the connection is lost. It returns at once. Everything stops
// when ctx ends or Close is called.
func (p *ProfileService) Start(ctx context.Context) error {
	return p.life.start(ctx, p.link, p.session)
}

// Close stops every goroutine of the service, waits for them and closes
// the store. Messages delivered but not yet acked go back to the queue.
// Close is idempotent.
func (p *ProfileService) Close() error {
	if !p.life.stop() {
		return nil
	}
	return p.store.close()
}

// Connected reports whether the service is connected with its topology
// declared.
func (p *ProfileService) Connected() bool { return p.link.connected.Load() }

// Consuming reports whether its consumer is running on the queue.
func (p *ProfileService) Consuming() bool { return p.consuming.Load() }

// CrashBeforeAck arms a crash for the next n deliveries: each is applied
// (or found to be a duplicate) and committed, and then the consumer's
// channel is closed instead of acking, as if the process died there. The
// broker requeues the message and delivers it again with redelivered=true;
// the store finds its message id and the event takes effect once. n <= 0
// disarms.
func (p *ProfileService) CrashBeforeAck(n int) { p.crashBeforeAck.Store(int64(max(n, 0))) }

// CrashBeforeApply arms a crash for the next n deliveries before anything
// is written: the redelivery is then the first time the event is applied.
func (p *ProfileService) CrashBeforeApply(n int) { p.crashBeforeApply.Store(int64(max(n, 0))) }

// RefuseNext makes the next n update events be refused as if invalid:
// dead-lettered, and compensated with user.profile.update.failed.
func (p *ProfileService) RefuseNext(n int) { p.refuseNext.Store(int64(max(n, 0))) }

// StopConsumer cancels the consumer (basic.cancel) after it has finished
// the messages already delivered to it: new messages wait, ready, in the
// queue until StartConsumer. The connection stays up.
func (p *ProfileService) StopConsumer() {
	p.stopped.Store(true)
	p.wakeConsumer()
}

// StartConsumer consumes again after StopConsumer.
func (p *ProfileService) StartConsumer() {
	p.stopped.Store(false)
	p.wakeConsumer()
}

func (p *ProfileService) wakeConsumer() {
	select {
	case p.ctl <- struct{}{}:
	default:
	}
}

// take consumes one arming of a switch.
func take(c *atomic.Int64) bool {
	for {
		n := c.Load()
		if n <= 0 {
			return false
		}
		if c.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

// Profile returns one profile; ok is false when there is none.
func (p *ProfileService) Profile(ctx context.Context, id int64) (Profile, bool, error) {
	return p.store.profile(ctx, id)
}

// Profiles is a snapshot of the profile store, by id.
func (p *ProfileService) Profiles() ([]Profile, error) { return p.store.profiles(context.Background()) }

// Processed counts the message ids the store has recorded as applied.
func (p *ProfileService) Processed() (int, error) {
	return p.store.processedCount(context.Background())
}

// Handler serves GET /profiles/{id} (and GET /profiles).
func (p *ProfileService) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /profiles/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(r)
		if !ok {
			writeError(w, http.StatusNotFound, "no profile %q: the id in /profiles/{id} must be a positive integer, e.g. /profiles/1", r.PathValue("id"))
			return
		}
		pr, found, err := p.store.profile(r.Context(), id)
		switch {
		case err != nil:
			writeError(w, http.StatusInternalServerError, "%v", err)
		case !found:
			writeError(w, http.StatusNotFound, "no profile %d yet: POST /users/%d to the user service; its event creates it here", id, id)
		default:
			writeJSON(w, http.StatusOK, pr)
		}
	})
	mux.HandleFunc("GET /profiles", func(w http.ResponseWriter, r *http.Request) {
		ps, err := p.store.profiles(r.Context())
		if err != nil {
			writeError(w, http.StatusInternalServerError, "%v", err)
			return
		}
		if ps == nil {
			ps = []Profile{}
		}
		writeJSON(w, http.StatusOK, ps)
	})
	mux.HandleFunc("/", notFound)
	return logged(p.em, mux)
}

// Serve answers HTTP on ln until ctx ends, then shuts down gracefully.
func (p *ProfileService) Serve(ctx context.Context, ln net.Listener) error {
	return serve(ctx, ln, p.Handler())
}

// ListenAndServe is Serve on a new listener at addr (e.g. 127.0.0.1:3001).
func (p *ProfileService) ListenAndServe(ctx context.Context, addr string) error {
	return listenAndServe(ctx, addr, p.Handler())
}

// declare declares the exchange, the dead-letter exchange and queue, the
// queue and its binding; quiet leaves out the events (a periodic
// re-declaration).
func (p *ProfileService) declare(conn *amqp.Connection, quiet bool) error {
	em := p.em
	if quiet {
		em = emitter{}
	}
	n := p.opts.names
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("open a channel: %w", err)
	}
	defer ch.Close()
	if err := ch.ExchangeDeclare(n.Exchange, amqp.ExchangeTopic, true, false, false, false, nil); err != nil {
		return fmt.Errorf("declare exchange %s: %w", n.Exchange, err)
	}
	em.emit(Event{Kind: EventDeclared, Exchange: n.Exchange, Note: "durable topic exchange"})
	if err := ch.ExchangeDeclare(n.DeadLetterExchange, amqp.ExchangeFanout, true, false, false, false, nil); err != nil {
		return fmt.Errorf("declare dead-letter exchange %s: %w", n.DeadLetterExchange, err)
	}
	if _, err := ch.QueueDeclare(n.DeadLetterQueue, true, false, false, false, nil); err != nil {
		return fmt.Errorf("declare dead-letter queue %s: %w", n.DeadLetterQueue, err)
	}
	if err := ch.QueueBind(n.DeadLetterQueue, "", n.DeadLetterExchange, false, nil); err != nil {
		return fmt.Errorf("bind %s to %s: %w", n.DeadLetterQueue, n.DeadLetterExchange, err)
	}
	em.emit(Event{Kind: EventDeclared, Exchange: n.DeadLetterExchange, Queue: n.DeadLetterQueue, Note: "dead-letter exchange (fanout) and its durable queue"})
	args := amqp.Table{"x-dead-letter-exchange": n.DeadLetterExchange}
	if _, err := ch.QueueDeclare(n.ProfileQueue, true, false, false, false, args); err != nil {
		return fmt.Errorf("declare queue %s: %w (a queue of that name with other arguments exists: delete it, or choose other names)", n.ProfileQueue, err)
	}
	if err := ch.QueueBind(n.ProfileQueue, n.ProfileBinding, n.Exchange, false, nil); err != nil {
		return fmt.Errorf("bind queue %s to %s: %w", n.ProfileQueue, n.Exchange, err)
	}
	em.emit(Event{Kind: EventDeclared, Exchange: n.Exchange, Queue: n.ProfileQueue, RoutingKey: n.ProfileBinding,
		Note: "durable queue (x-dead-letter-exchange=" + n.DeadLetterExchange + "), bound with " + n.ProfileBinding})
	return nil
}

// session runs on one connection: declare, then consume until the
// connection fails or ctx ends. A crash switch or StopConsumer closes only
// the consumer's channel; the loop opens a new one.
func (p *ProfileService) session(ctx context.Context, conn *amqp.Connection) error {
	if err := p.declare(conn, false); err != nil {
		return err
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // before wg.Wait: defers run last-in first-out
	wg.Add(1)
	go func() {
		defer wg.Done()
		redeclareEvery(ctx, p.opts.recheck, p.em, func() error { return p.declare(conn, true) })
	}()
	pub, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("open the publishing channel: %w", err)
	}
	if err := pub.Confirm(false); err != nil {
		return fmt.Errorf("put the publishing channel in confirm mode: %w", err)
	}
	pubReturns := pub.NotifyReturn(make(chan amqp.Return, 4))
	stop := closeWhenDone(ctx, pub)
	defer stop()
	p.link.up()
	c := &consumer{p: p, pub: pub, pubReturns: pubReturns}
	for {
		if p.stopped.Load() {
			p.em.emit(Event{Kind: EventConsumer, Queue: p.opts.names.ProfileQueue, Consumer: ConsumerStopped, Note: "consumer stopped: messages wait, ready, in the queue"})
			for p.stopped.Load() {
				select {
				case <-ctx.Done():
					return nil
				case <-p.ctl:
				}
			}
		}
		end, err := c.run(ctx, conn)
		switch end {
		case endCtx:
			return nil
		case endFailed:
			return err
		}
	}
}
