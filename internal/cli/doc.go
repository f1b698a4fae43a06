// Package cli is warren's command line: the cobra command tree, its flags,
// which broker a command uses (--url, else $AMQP_URL, else the embedded
// broker started in the process), and the exit codes of the contract in
// README.md (0 every expectation held, 1 a run that failed or a broker that
// could not be used, 2 bad input).
//
// Main builds the command tree afresh on each call and writes only to the
// streams it is given (the TUI alone takes the real terminal), so tests run
// commands in-process and in parallel. There are no package-level commands
// and no init functions: each command is built by a newXCmd function in its
// own file.
//
// It decides what to run and how to report it; it must never hold routing,
// broker or scenario logic of its own (that is sandbox/, sandbox/broker/
// and scenarios/).
//
// # Concurrency
//
// Main owns nothing long-lived itself: a command's context is cancelled on
// SIGINT/SIGTERM, and each command stops what it started (the embedded
// broker, a Session, the TUI, the services) before it returns.
package cli
