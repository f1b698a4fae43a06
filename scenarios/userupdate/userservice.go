package userupdate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync"

	amqp "github.com/rabbitmq/amqp091-go"
)

// UserService owns the users and announces every change as an event, via a
// transactional outbox (see the package doc).
type UserService struct {
	opts  options
	em    emitter
	store *userStore
	link  *link
	kick  chan struct{} // a new outbox row: wake the relay

	life lifecycle
}

// NewUserService opens the user service's store (dbPath: a bbolt file, or
// "" for a private in-memory database) and prepares its link to the broker
// at url. Nothing runs until Start; onEvent (may be nil) hears everything
// the service does.
func NewUserService(url, dbPath string, onEvent func(Event), opts ...Option) (*UserService, error) {
	o := buildOptions(opts)
	st, err := openUserStore(context.Background(), dbPath, o.retention)
	if err != nil {
		return nil, fmt.Errorf("user service: %w", err)
	}
	em := emitter{service: "user-service", fn: onEvent}
	return &UserService{
		opts:  o,
		em:    em,
		store: st,
		link:  &link{url: url, em: em, backoffMin: o.backoffMin, backoffMax: o.backoffMax},
		life:  lifecycle{service: "user service"},
		kick:  make(chan struct{}, 1),
	}, nil
}

// Names are the exchange, queues and routing keys this service uses.
func (s *UserService) Names() Names { return s.opts.names }

// Start connects to the broker (retrying with backoff until it accepts),
// declares the exchange and the failed-event queue, and runs the relay and
// the compensation consumer, reconnecting whenever the connection is lost.
// It returns at once. Everything stops when ctx ends or Close is called.
func (s *UserService) Start(ctx context.Context) error {
	return s.life.start(ctx, s.link, s.session)
}

// Close stops every goroutine of the service, waits for them and closes
// the store. Updates still in the outbox stay there (in a file store, the
// next run publishes them). Close is idempotent.
func (s *UserService) Close() error {
	if !s.life.stop() {
		return nil
	}
	return s.store.close()
}

// Connected reports whether the service is connected with its topology
// declared and its consumer running.
func (s *UserService) Connected() bool { return s.link.connected.Load() }

// InputError is an update refused before anything was stored: what to fix.
type InputError struct{ Reason string }

func (e *InputError) Error() string { return e.Reason }

// Update sets user id's full name and queues its event, in one local
// transaction; the relay publishes it when the broker is reachable. It does
// not wait for the broker.
func (s *UserService) Update(ctx context.Context, id int64, fullName string) (User, error) {
	if id <= 0 {
		return User{}, &InputError{Reason: fmt.Sprintf("the user id must be a positive integer, not %d", id)}
	}
	fullName = strings.TrimSpace(fullName)
	if fullName == "" {
		return User{}, &InputError{Reason: "full_name is empty: send a name, e.g. full_name=usama"}
	}
	e, err := s.store.update(ctx, id, fullName, s.opts.names.UpdateKey)
	if err != nil {
		s.em.emit(Event{Kind: EventError, UserID: id, Err: err})
		return User{}, err
	}
	s.em.emit(Event{Kind: EventStored, UserID: id, FullName: fullName, MessageID: e.MessageID, RoutingKey: e.RoutingKey,
		Note: "users row and outbox row committed in one transaction"})
	select {
	case s.kick <- struct{}{}:
	default: // the relay is already due to look
	}
	return User{ID: id, FullName: fullName, UpdatedAt: e.CreatedAt, LastMessageID: e.MessageID}, nil
}

// User returns one user of the store; ok is false when there is none.
func (s *UserService) User(ctx context.Context, id int64) (User, bool, error) {
	return s.store.user(ctx, id)
}

// Users is a snapshot of the user store, by id.
func (s *UserService) Users() ([]User, error) { return s.store.users(context.Background()) }

// Outbox is a snapshot of the last limit outbox rows, oldest first; Sent
// is false for those still waiting for the broker's confirm.
func (s *UserService) Outbox(limit int) ([]OutboxEntry, error) {
	return s.store.outbox(context.Background(), limit)
}

// Pending counts the outbox rows the broker has not confirmed yet.
func (s *UserService) Pending() (int, error) {
	return s.store.pendingCount(context.Background())
}

// Handler serves POST /users/{id} and GET /users/{id} (and GET /users).
func (s *UserService) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /users/{id}", s.handlePost)
	mux.HandleFunc("GET /users/{id}", s.handleGet)
	mux.HandleFunc("GET /users", func(w http.ResponseWriter, r *http.Request) {
		us, err := s.store.users(r.Context())
		if err != nil {
			writeError(w, http.StatusInternalServerError, "%v", err)
			return
		}
		if us == nil {
			us = []User{}
		}
		writeJSON(w, http.StatusOK, us)
	})
	mux.HandleFunc("/", notFound)
	return logged(s.em, mux)
}

// Serve answers HTTP on ln until ctx ends, then shuts down gracefully.
func (s *UserService) Serve(ctx context.Context, ln net.Listener) error {
	return serve(ctx, ln, s.Handler())
}

// ListenAndServe is Serve on a new listener at addr (e.g. 127.0.0.1:3000).
func (s *UserService) ListenAndServe(ctx context.Context, addr string) error {
	return listenAndServe(ctx, addr, s.Handler())
}

// maxBody bounds a request body: a name is short, and an unbounded body is
// a way to fill memory.
const maxBody = 64 << 10

func (s *UserService) handlePost(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		writeError(w, http.StatusNotFound, "no user %q: the id in /users/{id} must be a positive integer, e.g. /users/1", r.PathValue("id"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	name, present, err := readFullName(r)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "the request body is over %d bytes: send only full_name", maxBody)
			return
		}
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if !present {
		writeError(w, http.StatusBadRequest, `missing full_name: send the form field (curl -d "full_name=usama" -X POST .../users/%d) or a JSON body {"full_name": "usama"}`, id)
		return
	}
	u, err := s.Update(r.Context(), id, name)
	var inputErr *InputError
	switch {
	case errors.As(err, &inputErr):
		writeError(w, http.StatusBadRequest, "%s", inputErr.Reason)
		return
	case err != nil:
		writeError(w, http.StatusInternalServerError, "the update was not stored: %v", err)
		return
	}
	w.Header().Set("X-Message-Id", u.LastMessageID)
	writeJSON(w, http.StatusCreated, map[string]string{"full_name": u.FullName})
}

// readFullName reads full_name from a JSON body or a form (urlencoded or
// multipart). present is false when the field is absent.
func readFullName(r *http.Request) (name string, present bool, err error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/json" {
		var body struct {
			FullName *string `json:"full_name"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return "", false, err
			}
			return "", false, fmt.Errorf(`the JSON body is malformed (%v): send {"full_name": "usama"}`, err)
		}
		if body.FullName == nil {
			return "", false, nil
		}
		return *body.FullName, true, nil
	}
	// ParseForm first: ParseMultipartForm would hide its error (a body
	// over the limit) behind http.ErrNotMultipart.
	err = r.ParseForm()
	if err == nil && mt == "multipart/form-data" {
		err = r.ParseMultipartForm(maxBody)
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return "", false, err
		}
		return "", false, fmt.Errorf("the form is malformed (%v): send full_name=usama", err)
	}
	if _, ok := r.PostForm["full_name"]; !ok {
		return "", false, nil
	}
	return r.PostForm.Get("full_name"), true, nil
}

func (s *UserService) handleGet(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		writeError(w, http.StatusNotFound, "no user %q: the id in /users/{id} must be a positive integer, e.g. /users/1", r.PathValue("id"))
		return
	}
	u, found, err := s.store.user(r.Context(), id)
	switch {
	case err != nil:
		writeError(w, http.StatusInternalServerError, "%v", err)
	case !found:
		writeError(w, http.StatusNotFound, "no user %d: create it with POST /users/%d full_name=...", id, id)
	default:
		writeJSON(w, http.StatusOK, u)
	}
}

// session runs on one connection: declare, then relay and consume
// compensations until either fails or ctx ends.
func (s *UserService) session(ctx context.Context, conn *amqp.Connection) error {
	n := s.opts.names
	if err := s.declare(conn, false); err != nil {
		return err
	}
	relayCh, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("open the relay's channel: %w", err)
	}
	if err := relayCh.Confirm(false); err != nil {
		return fmt.Errorf("put the relay's channel in confirm mode: %w", err)
	}
	consCh, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("open the consumer's channel: %w", err)
	}
	if err := consCh.Qos(s.opts.prefetch, 0, false); err != nil {
		return fmt.Errorf("basic.qos: %w", err)
	}
	tag := "user-service." + randomHex(4)
	deliveries, err := consCh.Consume(n.FailedQueue, tag, false, false, false, false, nil)
	if err != nil {
		return fmt.Errorf("consume from %s: %w", n.FailedQueue, err)
	}
	s.em.emit(Event{Kind: EventConsumer, Queue: n.FailedQueue, Consumer: ConsumerStarted, ConsumerTag: tag, Note: "consumer " + tag + " started (manual ack)"})
	s.link.up()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		redeclareEvery(ctx, s.opts.recheck, s.em, func() error { return s.declare(conn, true) })
	}()
	go func() { defer wg.Done(); errc <- s.relay(ctx, relayCh) }()
	go func() { defer wg.Done(); errc <- s.consumeFailed(ctx, deliveries) }()
	err = <-errc
	cancel()
	wg.Wait()
	return err
}

// declare declares the exchange and the compensation queue and binding;
// quiet leaves out the events (a periodic re-declaration).
func (s *UserService) declare(conn *amqp.Connection, quiet bool) error {
	em := s.em
	if quiet {
		em = emitter{}
	}
	n := s.opts.names
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("open a channel: %w", err)
	}
	defer ch.Close()
	if err := ch.ExchangeDeclare(n.Exchange, amqp.ExchangeTopic, true, false, false, false, nil); err != nil {
		return fmt.Errorf("declare exchange %s: %w", n.Exchange, err)
	}
	em.emit(Event{Kind: EventDeclared, Exchange: n.Exchange, Note: "durable topic exchange"})
	if _, err := ch.QueueDeclare(n.FailedQueue, true, false, false, false, nil); err != nil {
		return fmt.Errorf("declare queue %s: %w", n.FailedQueue, err)
	}
	if err := ch.QueueBind(n.FailedQueue, n.FailedKey, n.Exchange, false, nil); err != nil {
		return fmt.Errorf("bind queue %s to %s: %w", n.FailedQueue, n.Exchange, err)
	}
	em.emit(Event{Kind: EventDeclared, Exchange: n.Exchange, Queue: n.FailedQueue, RoutingKey: n.FailedKey,
		Note: "durable queue for compensations, bound with " + n.FailedKey})
	return nil
}

// consumeFailed rolls back the updates the profile service refused.
func (s *UserService) consumeFailed(ctx context.Context, deliveries <-chan amqp.Delivery) error {
	for {
		var d amqp.Delivery
		var ok bool
		select {
		case <-ctx.Done():
			return nil
		case d, ok = <-deliveries:
			if !ok {
				return fmt.Errorf("the compensation consumer's %w", errClosed)
			}
		}
		s.em.emit(Event{Kind: EventDelivered, Queue: s.opts.names.FailedQueue, RoutingKey: d.RoutingKey, MessageID: d.MessageId,
			DeliveryTag: d.DeliveryTag, Redelivered: d.Redelivered})
		var ev FailedEvent
		if err := json.Unmarshal(d.Body, &ev); err != nil {
			// Nothing can be rolled back from it; requeueing would loop.
			s.em.emit(Event{Kind: EventError, MessageID: d.MessageId, Err: fmt.Errorf("a %s event that is not JSON (%v): acked and ignored", d.RoutingKey, err)})
			_ = d.Ack(false)
			continue
		}
		orig := ev.MessageID
		if orig == "" {
			orig = d.CorrelationId
		}
		res, err := s.store.rollback(ctx, orig, ev.ID)
		if err != nil {
			if ctx.Err() != nil {
				return nil // shutting down: the broker requeues it
			}
			s.em.emit(Event{Kind: EventError, UserID: ev.ID, MessageID: orig, Err: fmt.Errorf("roll back: %w; requeued", err)})
			_ = d.Nack(false, true)
			continue
		}
		if res.RolledBack {
			s.em.emit(Event{Kind: EventRolledBack, UserID: ev.ID, FullName: res.User.FullName, MessageID: orig, Restored: res.Note,
				Note: fmt.Sprintf("the profile service refused %q (%s): %s", truncate(ev.FullName, 40), ev.Reason, res.Note)})
		} else {
			s.em.emit(Event{Kind: EventConsumer, UserID: ev.ID, MessageID: orig, Note: res.Note})
		}
		if err := d.Ack(false); err != nil {
			return fmt.Errorf("ack: %w", err)
		}
		s.em.emit(Event{Kind: EventAcked, Queue: s.opts.names.FailedQueue, MessageID: d.MessageId, DeliveryTag: d.DeliveryTag})
	}
}
