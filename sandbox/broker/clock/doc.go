// Package clock is where the embedded broker reads the time and sets its
// timers: the real clock by default (Real), or a Virtual one that a test
// moves by hand, so that a message TTL of an hour, an x-expires or a
// consumer timeout can be tested in no wall time.
//
// It imports nothing of Warren's. It must never sleep, and a Virtual
// clock must never fire a timer out of deadline order or twice.
//
// # Concurrency
//
// Both clocks are safe for use from any goroutine. Real's timers run on
// goroutines of the time package, as time.AfterFunc's do. A Virtual
// clock runs the callbacks of the timers that come due in the goroutine
// that calls Advance or Set, one at a time, in deadline order, with no
// lock of the clock held (a callback may set new timers and read Now);
// when the clock runs with the wall clock (NewVirtual's running), timers
// that come due by the passing of real time fire on one goroutine of the
// clock's, which Close stops and waits for.
package clock
