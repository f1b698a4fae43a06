package broker

import (
	"fmt"

	"github.com/warrenmq/warren/sandbox/broker/wire"
)

// Failures a test asks for (a test library's failure injection), each done
// the way the broker does it for real: connections closed from the
// server's side, publishes nacked, publishers blocked with
// connection.blocked, consumers cancelled as a queue deletion cancels
// them.

// CloseConnections closes, from the server's side, the open connections
// match accepts (nil: all) with connection.close code and reason, e.g.
// 320 and "broker forced connection closure with reason 'shutdown'"
// (the reply text is RabbitMQ's code name, " - ", and reason). It reports
// how many it closed.
func (s *Server) CloseConnections(match func(ConnectionInfo) bool, code uint16, reason string) (int, error) {
	if !wire.IsHardError(code) && code != wire.ReplySuccess {
		return 0, fmt.Errorf("reply code %d is not a connection-level code (use 320 CONNECTION_FORCED, 530 NOT_ALLOWED, 541 INTERNAL_ERROR, ...)", code)
	}
	n := 0
	for _, c := range s.openConns() {
		o := c.opened.Load()
		if o == nil || (match != nil && !match(c.info(o))) {
			continue
		}
		c.forceClose(code, wire.CodeName(code)+" - "+reason)
		n++
	}
	return n, nil
}

// NackPublishes makes the next n messages published on channels in
// confirm mode be refused: not routed, and nacked (basic.nack), as
// RabbitMQ nacks what it could not take responsibility for.
func (s *Server) NackPublishes(n int) { s.injectNacks.Store(int64(max(n, 0))) }

// injectedNack reports whether this confirm-mode publish is one
// NackPublishes asked to refuse.
func (s *Server) injectedNack() bool {
	for {
		n := s.injectNacks.Load()
		if n <= 0 {
			return false
		}
		if s.injectNacks.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

// BlockPublishers raises the resource alarm by hand: connections that
// publish are sent connection.blocked (reason "low on memory", or the
// given one, e.g. "low on disk space") and are no longer read until
// UnblockPublishers, as when RabbitMQ's memory or disk alarm goes off.
func (s *Server) BlockPublishers(reason string) {
	if reason == "" {
		reason = "low on memory"
	}
	s.blockReason.Store(&reason)
	s.forcedBlock.Store(true)
	s.setAlarm(true)
}

// UnblockPublishers ends BlockPublishers: blocked connections get
// connection.unblocked and go on (unless a real alarm holds them).
func (s *Server) UnblockPublishers() {
	s.forcedBlock.Store(false)
	s.setAlarm(false)
}

// CancelConsumers cancels every consumer of a queue as deleting the
// queue would (basic.cancel to clients that support it), leaving the
// queue and its messages in place; their unacked deliveries stay theirs
// to settle. It reports how many consumers it cancelled.
func (s *Server) CancelConsumers(vhost, queue string) (int, error) {
	v, err := s.vhostNamed(vhost)
	if err != nil {
		return 0, err
	}
	v.mu.RLock()
	q := v.queues[queue]
	v.mu.RUnlock()
	if q == nil {
		return 0, fmt.Errorf("%w: no queue '%s' in vhost '%s'", ErrNotFound, queue, vhost)
	}
	q.mu.Lock()
	cons := append([]*consumer(nil), q.consumers...)
	q.mu.Unlock()
	for _, c := range cons {
		c.active.Store(false)
		q.removeConsumer(c)
	}
	cancelConsumers(cons)
	for _, c := range cons {
		q.v.maybeAutoDelete(q)
		_ = c
	}
	return len(cons), nil
}

// blockedReason is connection.blocked's reason: "low on memory", or
// BlockPublishers' own.
func (s *Server) blockedReason() string {
	if r := s.blockReason.Load(); r != nil && s.forcedBlock.Load() {
		return *r
	}
	return "low on memory"
}
