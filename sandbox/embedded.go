package sandbox

import (
	"errors"
	"time"

	"github.com/warrenmq/warren/sandbox/broker"
)

// StartEmbedded starts Warren's embedded broker on an ephemeral loopback
// port, ready for connections at its URL(). The caller stops it with
// Shutdown.
func StartEmbedded() (*broker.Server, error) {
	srv, err := broker.New(broker.Options{})
	if err != nil {
		return nil, err
	}
	if err := srv.Start(); err != nil {
		return nil, err
	}
	if !srv.ReadyForConnections(5 * time.Second) {
		srv.Shutdown()
		return nil, errors.New("embedded broker: not ready for connections within 5s")
	}
	return srv, nil
}
