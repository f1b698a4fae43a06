// Package scenarios holds Warren's built-in scenarios (YAML files embedded
// with go:embed), loads and validates scenario files strictly, and plays a
// scenario's steps on a sandbox.Session, comparing what was delivered with
// what the steps expect and with the routing model's prediction.
//
// A malformed file is refused with its file name, line and what to fix.
package scenarios
