package sandbox

// TEMPORARY: signatures of the Session, agreed up front so that the TUI and
// the scenario player can be written in parallel with it. The session's
// implementation replaces this file.

import (
	"context"
	"errors"

	"github.com/warrenmq/warren/sandbox/routing"
)

var errUnimplemented = errors.New("sandbox: not implemented yet")

// Options configure a Session.
type Options struct {
	// Label names the broker in status lines and reports: "embedded", or
	// empty to use the URL with its password masked.
	Label string
	// ConnectionName is shown in RabbitMQ's management UI.
	ConnectionName string
	// Reconnect makes a lost connection retry with backoff and redeclare the
	// topology (the TUI). Without it a lost connection ends the Session with
	// an EventError and EventState(Closed) (warren run).
	Reconnect bool
	// EventBuffer is the size of the Events channel (default 1024).
	EventBuffer int
}

// ConsumerInfo is a snapshot of one consumer.
type ConsumerInfo struct {
	Spec    ConsumerSpec
	State   ConsumerState
	Unacked []Delivery // held by a ManualAck consumer, oldest first
}

// Session is one connection to a broker and everything declared through it.
type Session struct{}

func Dial(ctx context.Context, url string, opt Options) (*Session, error) {
	return nil, errUnimplemented
}
func (s *Session) Events() <-chan Event                                  { return nil }
func (s *Session) Broker() string                                        { return "" }
func (s *Session) ServerProduct() string                                 { return "" }
func (s *Session) ServerVersion() string                                 { return "" }
func (s *Session) State() ConnState                                      { return Closed }
func (s *Session) Declare(ctx context.Context, t routing.Topology) error { return errUnimplemented }
func (s *Session) Topology() routing.Topology                            { return routing.Topology{} }
func (s *Session) Reset(ctx context.Context) error                       { return errUnimplemented }
func (s *Session) Publish(ctx context.Context, p Publishing) (Published, error) {
	return Published{}, errUnimplemented
}
func (s *Session) Flood(ctx context.Context, p Publishing, n int) (int, error) {
	return 0, errUnimplemented
}
func (s *Session) Settle(ctx context.Context, queues []string) error       { return errUnimplemented }
func (s *Session) StartConsumer(ctx context.Context, c ConsumerSpec) error { return errUnimplemented }
func (s *Session) StopConsumer(name string) error                          { return errUnimplemented }
func (s *Session) PauseConsumer(name string) error                         { return errUnimplemented }
func (s *Session) ResumeConsumer(ctx context.Context, name string) error   { return errUnimplemented }
func (s *Session) CrashConsumer(name string) error                         { return errUnimplemented }
func (s *Session) SetPrefetch(name string, n int) error                    { return errUnimplemented }
func (s *Session) Ack(consumer string, tag uint64, multiple bool) error    { return errUnimplemented }
func (s *Session) Nack(consumer string, tag uint64, multiple, requeue bool) error {
	return errUnimplemented
}
func (s *Session) Reject(consumer string, tag uint64, requeue bool) error { return errUnimplemented }
func (s *Session) Consumers() []ConsumerInfo                              { return nil }
func (s *Session) QueueStats(ctx context.Context, queue string) (QueueStats, error) {
	return QueueStats{}, errUnimplemented
}
func (s *Session) Close() error { return nil }
