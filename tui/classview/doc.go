// Package classview is the teacher's screen of `warren class`: the
// students down the left (connected or not, how many messages they
// published, their quiz scores), and on the right the chosen student's
// latest messages, each with where the broker routed it and the routing
// model's verdict on every binding (classroom.Describe).
//
// It only reads a classroom.Class (Snapshot, Changed); it never talks to
// a broker.
//
// # Concurrency
//
// Run owns the tview event loop and one goroutine that turns Changed
// into redraws, at most one every 50 ms (QueueUpdateDraw); Run returns
// once both have stopped.
package classview
