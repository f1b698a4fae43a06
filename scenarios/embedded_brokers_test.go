package scenarios

import "testing"

// embeddedBrokers starts the embedded broker for a test, once
// sandbox.StartEmbedded exists; until then the table holds RabbitMQ only.
func embeddedBrokers(t *testing.T) []testBroker {
	return nil
}
