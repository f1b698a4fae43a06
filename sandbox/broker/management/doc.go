// Package management is RabbitMQ's management HTTP API on Warren's
// embedded broker: the subset that rabbitmqadmin, the rabbit-hole Go
// client, amqp091-go's recovery tests and `warren ctl` use, with
// RabbitMQ's paths, JSON field names and types, status codes and error
// bodies ({"error": "...", "reason": "..."}), held to the live
// RabbitMQ's answers by differential tests.
//
// It authenticates with HTTP Basic against the broker's users and
// authorises as RabbitMQ does: a user needs a management tag
// (management, policymaker, monitoring or administrator); administrators
// manage users, vhosts, permissions and whole-broker definitions;
// monitoring users see every vhost; the others see and change only the
// vhosts they have permissions on, and their changes to exchanges,
// queues and bindings are checked against those permissions as an AMQP
// client's would be.
//
// Statistics RabbitMQ collects over time (message rates, bytes sent) are
// there with the right types and zero values: tools read them, Warren
// does not sample them.
//
// It must never reach into the broker's internals: it reads and changes
// the broker only through the broker's exported API (inspect.go,
// access.go, definitions.go, ops.go in sandbox/broker), never serve on a
// non-loopback address unless told to, or log a password.
//
// # Concurrency
//
// A Server owns an http.Server: Start serves in a goroutine of its own
// (tracked, and ended by Shutdown); each request runs in net/http's
// goroutine for it and calls the broker's API, which is safe for
// concurrent use.
package management
