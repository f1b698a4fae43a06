// Command warren is a learning sandbox for RabbitMQ and AMQP 0-9-1 routing:
// a terminal UI (and a headless player) that shows what an exchange does
// with a message, and why, on an embedded broker or a live RabbitMQ.
//
// The command line itself lives in internal/cli; main only hands it the
// arguments, the standard streams, and the exit code back to the system.
package main
