// Package definitions reads and writes RabbitMQ's definitions format (the
// definitions.json that `rabbitmqadmin export`, the management API's
// GET /api/definitions and `rabbitmqctl export_definitions` produce):
// users, vhosts, permissions, policies, parameters, exchanges, queues and
// bindings, for the whole broker or, without the vhost fields and the
// access sections, for one vhost.
//
// It converts a vhost's exchanges, queues and bindings to and from a
// routing.Topology, so that a real broker's definitions can be routed by
// the model (`warren explain`), opened as a scenario, and a scenario
// exported as definitions and back without loss.
//
// Argument tables come from JSON, which has only one kind of number: an
// integral number becomes an int64 (what x-message-ttl and the like need),
// any other a float64, as RabbitMQ's own import reads them.
//
// It must never do I/O beyond what its callers hand it, import the broker
// or anything above sandbox/routing, or drop a field of a RabbitMQ export
// it does not model: policies, parameters and topic permissions are kept
// as they were read and written back unchanged.
package definitions
