// Command warren is a learning sandbox for RabbitMQ and AMQP 0-9-1 routing:
// a terminal UI (and a headless player) that shows what an exchange does
// with a message, and why, on an embedded broker or a live RabbitMQ.
//
// Each subcommand lives in its own file (cmd_*.go) and registers itself on
// the root command in an init function.
//
// # Concurrency
//
// main owns nothing long-lived itself: a subcommand's context is cancelled
// on SIGINT/SIGTERM, and each subcommand stops what it started (the
// embedded broker, a Session, the TUI, the services) before it returns.
package main
