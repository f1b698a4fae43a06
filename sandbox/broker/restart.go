package broker

import (
	"errors"
	"fmt"
	"strings"

	"github.com/warrenmq/warren/sandbox/definitions"
)

// Restart stops the broker and starts it again in place, on the same
// address, as a RabbitMQ node restart (rabbitmqctl stop_app, start_app):
// every connection is closed (320 CONNECTION_FORCED), so unacknowledged
// messages go back to their queues, exclusive queues are deleted and
// auto-delete queues lose their consumers; then the broker comes back with
// what a node's disk holds and nothing else.
//
// With Options.DataDir the broker recovers its data directory, as
// `warren broker --data-dir` does after a stop. Without one it keeps in
// memory exactly what a disk would have held: users, vhosts and
// permissions, durable exchanges, queues and bindings, and the persistent
// messages of durable queues (delivery mode 2, and every message of a
// quorum queue), in their order, those that had been delivered marked
// redelivered. Transient messages, non-durable queues and exchanges and
// the messages of streams (which the broker keeps in memory only, also
// with a data directory) are gone.
//
// The Server stays the same value: whoever holds it (the management API,
// a test) goes on using it. Restart returns once the broker accepts
// connections again, or with the error that kept it from listening (the
// address was taken meanwhile); then it is stopped, as after Shutdown.
// It must not run concurrently with Shutdown or another Restart (the
// owner calls it), and it fails on a Server that is not running.
func (s *Server) Restart() error {
	s.mu.Lock()
	switch {
	case !s.started || s.ln == nil:
		s.mu.Unlock()
		return errors.New("broker: Restart before Start")
	case s.shutdown:
		s.mu.Unlock()
		return errors.New("broker: Restart after Shutdown")
	}
	listen := s.ln.Addr().String()
	tlsListen := ""
	if s.tlsLn != nil {
		tlsListen = s.tlsLn.Addr().String()
	}
	s.mu.Unlock()

	s.Shutdown()
	var image *memoryImage
	if s.opts.DataDir == "" {
		image = s.imageForRestart()
	}

	s.mu.Lock()
	s.opts.Listen = listen
	if tlsListen != "" {
		s.opts.TLSListen = tlsListen
	}
	if image != nil {
		s.opts.Definitions = &image.defs
	}
	s.conns = map[*conn]struct{}{}
	s.started, s.shutdown = false, false
	s.ready = make(chan struct{})
	s.ln, s.tlsLn = nil, nil
	s.disk = nil
	s.memStop = nil
	s.restored = image
	s.mu.Unlock()
	s.memBytes.Store(0)
	s.memAlarm.Store(false)
	s.vmOver.Store(false)
	s.forcedBlock.Store(false)
	s.alarmMu.Lock()
	s.unblocked = make(chan struct{})
	close(s.unblocked)
	s.alarmMu.Unlock()
	s.accessMu.Lock()
	s.kept = exportable{}
	s.accessMu.Unlock()
	s.access.Store(&accessState{users: map[string]*userEntry{}, vhosts: map[string]*vhost{}, perms: map[permKey]*permEntry{}})

	if err := s.loadInitial(); err != nil {
		s.markStopped()
		return fmt.Errorf("broker: restart: %w", err)
	}
	if err := s.Start(); err != nil {
		s.markStopped()
		return fmt.Errorf("broker: restart: %w", err)
	}
	s.log.Info("broker restarted", "addr", listen, "data_dir", s.opts.DataDir)
	return nil
}

// markStopped leaves a Server whose restart failed as Shutdown leaves it.
func (s *Server) markStopped() {
	s.mu.Lock()
	s.shutdown = true
	select {
	case <-s.ready:
	default:
		close(s.ready)
	}
	s.mu.Unlock()
}

// memoryImage is what a broker without a data directory keeps across
// Restart: what a disk would have held.
type memoryImage struct {
	defs     definitions.Definitions
	messages map[queueKey][]*entry // by vhost and queue, in queue order
}

type queueKey struct{ vhost, queue string }

// imageForRestart collects, from a broker that has just shut down, its
// durable definitions and the persistent messages of its durable queues.
// Every connection is gone, so every unacknowledged message is back in its
// queue, marked redelivered.
func (s *Server) imageForRestart() *memoryImage {
	img := &memoryImage{defs: durableOnly(s.Definitions()), messages: map[queueKey][]*entry{}}
	for name, v := range s.access.Load().vhosts {
		v.mu.RLock()
		for _, q := range v.queues {
			if !q.durable || q.exclusive || q.stream != nil {
				continue
			}
			q.mu.Lock()
			var kept []*entry
			for _, e := range q.ready.items[q.ready.head:] {
				if e.msg.props.DeliveryMode == 2 || q.qa.kind == quorumQueue {
					kept = append(kept, &entry{msg: e.msg, redelivered: e.redelivered, expiresAt: e.expiresAt, deliveries: e.deliveries})
				}
			}
			q.mu.Unlock()
			if len(kept) > 0 {
				img.messages[queueKey{name, q.name}] = kept
			}
		}
		v.mu.RUnlock()
	}
	return img
}

// restoreImage puts the messages of a memory image back in their queues,
// before the listener opens (Start), as recovery from a data directory
// does.
func (s *Server) restoreImage(img *memoryImage) {
	for k, es := range img.messages {
		v := s.lookupVHost(k.vhost)
		if v == nil {
			continue
		}
		v.mu.RLock()
		q := v.queues[k.queue]
		v.mu.RUnlock()
		if q == nil {
			continue
		}
		q.mu.Lock()
		for _, e := range es {
			e.seq = q.nextSeq
			q.nextSeq++
			if q.qa.maxPriority >= 0 {
				e.prio = uint8(min(int64(e.msg.props.Priority), q.qa.maxPriority))
			}
			q.ready.push(e)
			q.readyBytes += int64(len(e.msg.body))
			s.memAdd(int64(len(e.msg.body)))
		}
		q.armTTL(s.nowNano())
		q.mu.Unlock()
	}
}

// durableOnly is what a restart keeps of the broker's definitions:
// everything but transient exchanges and queues and the bindings that
// need one of them.
func durableOnly(d definitions.Definitions) definitions.Definitions {
	type key struct{ vhost, name string }
	xs, qs := map[key]bool{}, map[key]bool{}
	var keptX []definitions.Exchange
	for _, x := range d.Exchanges {
		if x.Durable {
			keptX = append(keptX, x)
			xs[key{x.VHost, x.Name}] = true
		}
	}
	var keptQ []definitions.Queue
	for _, q := range d.Queues {
		if q.Durable {
			keptQ = append(keptQ, q)
			qs[key{q.VHost, q.Name}] = true
		}
	}
	isDurableX := func(vh, name string) bool {
		// the default exchange and the amq.* ones are durable and not listed
		return xs[key{vh, name}] || name == "" || strings.HasPrefix(name, "amq.")
	}
	var keptB []definitions.Binding
	for _, b := range d.Bindings {
		dest := qs[key{b.VHost, b.Destination}]
		if b.DestinationType == "exchange" {
			dest = isDurableX(b.VHost, b.Destination)
		}
		if dest && isDurableX(b.VHost, b.Source) {
			keptB = append(keptB, b)
		}
	}
	d.Exchanges, d.Queues, d.Bindings = keptX, keptQ, keptB
	return d
}
