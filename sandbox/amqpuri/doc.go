// Package amqpuri is the one place that knows Warren's AMQP URLs: the
// default URL of a local RabbitMQ, which URL a command uses (a flag, else
// $AMQP_URL, else a fallback), whether a URL is one a client can dial, and
// how to show a URL without its password.
//
// Every URL Warren prints or logs goes through Mask: a password must never
// reach a screen, a log or an error message, not even in a URL that Go's
// url.Parse refuses (a stray '%' in the password is the usual reason).
//
// It imports nothing of Warren's, so the CLI, the Session, the services and
// the tests can all use it. It never dials.
package amqpuri
