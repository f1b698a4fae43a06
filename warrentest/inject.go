package warrentest

import (
	"github.com/warrenmq/warren/sandbox/broker"
)

// Failure injection: each failure is made the way the broker makes it for
// real, so a client sees what RabbitMQ would send.

// Reply codes for CloseConnections.
const (
	ConnectionForced = 320 // CONNECTION_FORCED: a broker restart, an operator's close
	InternalError    = 541 // INTERNAL_ERROR
	NotAllowed       = 530 // NOT_ALLOWED
)

// CloseConnections closes every client connection from the server's side
// with connection.close code and reason (RabbitMQ's reply text is the
// code's name, " - " and the reason), e.g.
// CloseConnections(warrentest.ConnectionForced, "broker forced connection
// closure with reason 'shutdown'"). It reports how many it closed.
func (s *Server) CloseConnections(code uint16, reason string) (int, error) {
	s.Sync()
	return s.Broker().CloseConnections(nil, code, reason)
}

// CloseConnection closes the one connection whose client end is at
// clientAddr (amqp091-go's Connection.LocalAddr().String()) or whose
// client named itself so (amqp.Config's Properties "connection_name").
func (s *Server) CloseConnection(clientAddr string, code uint16, reason string) (int, error) {
	s.Sync()
	return s.Broker().CloseConnections(func(c broker.ConnectionInfo) bool {
		name, _ := c.ClientProperties["connection_name"].(string)
		return name == clientAddr || joinHostPort(c.PeerHost, c.PeerPort) == clientAddr
	}, code, reason)
}

// NackNextPublishes makes the next n messages published on channels in
// confirm mode be nacked (basic.nack) and not routed, as RabbitMQ nacks
// what it could not take responsibility for.
func (s *Server) NackNextPublishes(n int) {
	s.Sync()
	s.Broker().NackPublishes(n)
}

// BlockPublishers raises the resource alarm: a connection that publishes
// gets connection.blocked (reason "low on memory" when reason is "") and
// is no longer read until UnblockPublishers.
func (s *Server) BlockPublishers(reason string) {
	s.Sync()
	s.Broker().BlockPublishers(reason)
}

// UnblockPublishers clears BlockPublishers: connection.unblocked.
func (s *Server) UnblockPublishers() { s.Broker().UnblockPublishers() }

// CancelConsumers cancels every consumer of a queue in the first vhost as
// deleting the queue would (basic.cancel to the client, which
// amqp091-go's NotifyCancel reports), leaving the queue and its messages.
func (v *VHost) CancelConsumers(queue string) (int, error) {
	return v.broker().CancelConsumers(v.name, queue)
}
