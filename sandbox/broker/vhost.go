package broker

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/warrenmq/warren/sandbox/broker/wire"
	"github.com/warrenmq/warren/sandbox/routing"
)

// vhost holds one virtual host's exchanges, queues and bindings. Its
// RWMutex guards the topology: publishing routes under the read lock,
// declarations and deletions take the write lock.
type vhost struct {
	s    *Server
	name string

	mu        sync.RWMutex
	exchanges map[string]*exchange
	queues    map[string]*queue
	// bindingsTo indexes bindings by destination, so that deleting a queue or
	// an exchange removes the bindings pointing at it.
	bindingsTo map[destRef]map[bindingID]*binding
}

type destRef struct {
	name       string
	toExchange bool
}

type exchange struct {
	name       string
	kind       string
	durable    bool
	autoDelete bool
	internal   bool
	args       routing.Table
	alternate  *string
	router     router
	bindings   map[bindingID]*binding // bindings whose source this is
	system     bool                   // amq.* and the default exchange: cannot be deleted
}

func newVHost(s *Server, name string) *vhost {
	v := &vhost{s: s, name: name, exchanges: map[string]*exchange{}, queues: map[string]*queue{}, bindingsTo: map[destRef]map[bindingID]*binding{}}
	for _, x := range []struct{ name, kind string }{
		{"", "direct"}, {"amq.direct", "direct"}, {"amq.fanout", "fanout"}, {"amq.topic", "topic"},
		{"amq.headers", "headers"}, {"amq.match", "headers"}, {"amq.rabbitmq.trace", "topic"},
	} {
		v.exchanges[x.name] = &exchange{name: x.name, kind: x.kind, durable: true, internal: x.name == "amq.rabbitmq.trace",
			router: newRouter(x.kind), bindings: map[bindingID]*binding{}, system: true}
	}
	return v
}

func (v *vhost) queueRes(name string) string {
	return fmt.Sprintf("queue '%s' in vhost '%s'", name, v.name)
}
func (v *vhost) exchangeRes(name string) string {
	return fmt.Sprintf("exchange '%s' in vhost '%s'", name, v.name)
}

func (v *vhost) noQueue(name string) *wire.Error {
	return wire.Errorf(wire.NotFound, "no queue '%s' in vhost '%s'", name, v.name)
}
func (v *vhost) noExchange(name string) *wire.Error {
	return wire.Errorf(wire.NotFound, "no exchange '%s' in vhost '%s'", name, v.name)
}
func (v *vhost) locked(name string) *wire.Error {
	return wire.Errorf(wire.ResourceLocked, "cannot obtain exclusive access to locked queue '%s' in vhost '%s'. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.", name, v.name)
}

func inequivalent(arg, what string, received, current any) *wire.Error {
	return wire.Errorf(wire.PreconditionFailed, "inequivalent arg '%s' for %s: received '%v' but current is '%v'", arg, what, received, current)
}

// exchangeDeclare declares (or, passive, checks) an exchange.
func (v *vhost) exchangeDeclare(m *wire.ExchangeDeclare) *wire.Error {
	v.mu.Lock()
	defer v.mu.Unlock()
	x := v.exchanges[m.Exchange]
	if m.Passive {
		if x == nil {
			return v.noExchange(m.Exchange)
		}
		return nil
	}
	if m.Exchange == "" {
		return wire.Errorf(wire.AccessRefused, "operation not permitted on the default exchange")
	}
	if newRouter(m.Type) == nil {
		// RabbitMQ 4.x answers 406 (3.x answered 503 COMMAND_INVALID). It
		// says "invalid exchange type" only when the name happens to be an
		// existing Erlang atom ('foo' is); for any other name, which is what
		// a learner's typo almost always is, it says "unknown".
		return wire.Errorf(wire.PreconditionFailed, "unknown exchange type '%s'", m.Type)
	}
	if ae, ok := m.Arguments["alternate-exchange"]; ok {
		if _, isText := text(ae); !isText {
			return wire.Errorf(wire.PreconditionFailed, "invalid type '%s' for arg 'alternate-exchange' in %s", routing.TypeName(ae), v.exchangeRes(m.Exchange))
		}
	}
	if x != nil {
		what := v.exchangeRes(x.name)
		switch {
		case x.kind != m.Type:
			return inequivalent("type", what, m.Type, x.kind)
		case x.durable != m.Durable:
			return inequivalent("durable", what, m.Durable, x.durable)
		case x.autoDelete != m.AutoDelete:
			return inequivalent("auto_delete", what, m.AutoDelete, x.autoDelete)
		case x.internal != m.Internal:
			return inequivalent("internal", what, m.Internal, x.internal)
		}
		return checkArgEquivalence([]string{"alternate-exchange"}, x.args, m.Arguments, what)
	}
	if strings.HasPrefix(m.Exchange, "amq.") {
		return wire.Errorf(wire.AccessRefused, "exchange name '%s' contains reserved prefix 'amq.*'", m.Exchange)
	}
	x = &exchange{name: m.Exchange, kind: m.Type, durable: m.Durable, autoDelete: m.AutoDelete, internal: m.Internal,
		args: m.Arguments, router: newRouter(m.Type), bindings: map[bindingID]*binding{}}
	if ae, ok := m.Arguments["alternate-exchange"]; ok {
		s, _ := text(ae)
		x.alternate = &s
	}
	v.exchanges[x.name] = x
	return nil
}

func (v *vhost) exchangeDelete(name string, ifUnused bool) *wire.Error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if name == "" {
		return wire.Errorf(wire.AccessRefused, "operation not permitted on the default exchange")
	}
	x := v.exchanges[name]
	if x == nil {
		return nil // RabbitMQ: deleting what does not exist succeeds
	}
	if x.system {
		return wire.Errorf(wire.AccessRefused, "deletion of system %s not allowed", v.exchangeRes(name))
	}
	if ifUnused && len(x.bindings) > 0 {
		return wire.Errorf(wire.PreconditionFailed, "%s in use", v.exchangeRes(name))
	}
	v.deleteExchangeLocked(x)
	return nil
}

func (v *vhost) deleteExchangeLocked(x *exchange) {
	delete(v.exchanges, x.name)
	for _, b := range x.bindings {
		v.unindexBinding(b)
	}
	x.bindings = nil
	for _, b := range v.bindingsTo[destRef{x.name, true}] {
		v.removeBindingLocked(b)
	}
	delete(v.bindingsTo, destRef{x.name, true})
}

func (v *vhost) unindexBinding(b *binding) {
	ref := destRef{b.dest, b.toExchange}
	if m := v.bindingsTo[ref]; m != nil {
		delete(m, b.id())
		if len(m) == 0 {
			delete(v.bindingsTo, ref)
		}
	}
}

// removeBindingLocked removes b from its source exchange and deletes the
// source when it is auto-delete and this was its last binding.
func (v *vhost) removeBindingLocked(b *binding) {
	src := v.exchanges[b.source]
	v.unindexBinding(b)
	if src == nil {
		return
	}
	if _, ok := src.bindings[b.id()]; !ok {
		return
	}
	delete(src.bindings, b.id())
	src.router.remove(b)
	if src.autoDelete && len(src.bindings) == 0 {
		v.deleteExchangeLocked(src)
	}
}

// bind binds source to a queue or (toExchange) an exchange. The connection
// c is asked for exclusive-queue access.
func (v *vhost) bind(c *conn, source, dest string, toExchange bool, key string, args routing.Table, unbind bool) *wire.Error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if source == "" || (toExchange && dest == "") {
		return wire.Errorf(wire.AccessRefused, "operation not permitted on the default exchange")
	}
	src := v.exchanges[source]
	if !toExchange {
		q := v.queues[dest]
		if q == nil {
			if src == nil {
				return v.noExchange(source)
			}
			return v.noQueue(dest)
		}
		if err := q.checkExclusive(c); err != nil {
			return err
		}
	} else if v.exchanges[dest] == nil {
		return v.noExchange(dest)
	}
	if src == nil {
		return v.noExchange(source)
	}
	b := &binding{source: source, dest: dest, toExchange: toExchange, key: key, args: args, argsKey: tableKey(args)}
	id := b.id()
	if unbind {
		if old := src.bindings[id]; old != nil {
			v.removeBindingLocked(old)
		}
		return nil
	}
	if src.kind == "headers" {
		xm, err := routing.ParseXMatch(args)
		if err != nil {
			var re *routing.Error
			if errors.As(err, &re) {
				return &wire.Error{Code: uint16(re.Code), Text: re.Text}
			}
			return wire.Errorf(wire.PreconditionFailed, "%v", err)
		}
		b.xmatch = xm
	}
	if _, ok := src.bindings[id]; ok {
		return nil
	}
	src.bindings[id] = b
	src.router.add(b)
	ref := destRef{dest, toExchange}
	if v.bindingsTo[ref] == nil {
		v.bindingsTo[ref] = map[bindingID]*binding{}
	}
	v.bindingsTo[ref][id] = b
	return nil
}

// serverNamedQueue returns a fresh amq.gen-... name as RabbitMQ makes them.
func serverNamedQueue() string {
	var b [16]byte
	rand.Read(b[:])
	return "amq.gen-" + base64.RawURLEncoding.EncodeToString(b[:])
}

// route finds the queues a message published to x with these routing keys
// reaches, following exchange-to-exchange bindings and alternate exchanges
// as RabbitMQ's rabbit_exchange:route does. It needs v.mu held (read).
func (v *vhost) route(x *exchange, keys []string, headers routing.Table, queues []*queue) []*queue {
	if x.name == "" {
		for _, k := range keys {
			if q := v.queues[k]; q != nil {
				queues = appendQueue(queues, q)
			}
		}
		return queues
	}
	var workBuf, seenBuf [8]*exchange
	var matchBuf [16]*binding
	work := append(workBuf[:0], x)
	seen := append(seenBuf[:0], x)
	for len(work) > 0 {
		cur := work[len(work)-1]
		work = work[:len(work)-1]
		matched := matchBuf[:0]
		for _, k := range keys {
			matched = cur.router.match(k, headers, matched)
		}
		for _, b := range matched {
			if !b.toExchange {
				if q := v.queues[b.dest]; q != nil {
					queues = appendQueue(queues, q)
				}
				continue
			}
			if nx := v.exchanges[b.dest]; nx != nil && !containsExchange(seen, nx) {
				seen = append(seen, nx)
				work = append(work, nx)
			}
		}
		if len(matched) == 0 && cur.alternate != nil {
			if ax := v.exchanges[*cur.alternate]; ax != nil && !containsExchange(seen, ax) {
				seen = append(seen, ax)
				work = append(work, ax)
			}
		}
	}
	return queues
}

func containsExchange(l []*exchange, x *exchange) bool {
	for _, e := range l {
		if e == x {
			return true
		}
	}
	return false
}

func appendQueue(l []*queue, q *queue) []*queue {
	for _, e := range l {
		if e == q {
			return l
		}
	}
	return append(l, q)
}

func (v *vhost) stopTimers() {
	v.mu.RLock()
	defer v.mu.RUnlock()
	for _, q := range v.queues {
		q.stopTimers()
	}
}
