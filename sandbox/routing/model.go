package routing

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Model routes as a given RabbitMQ version does. The zero Model is
// RabbitMQ 4.x, Warren's target; set Version to the server's "version"
// property (e.g. "3.10.8") to predict what that server does where it
// differs.
type Model struct {
	// Version is a RabbitMQ version such as "3.10.8" or "4.1.0"; "" means
	// the newest behaviour the model knows.
	Version string
	// VHost names the virtual host in error texts; "" means "/".
	VHost string
}

// atLeast reports whether the model's version is major.minor or newer. An
// empty or unreadable version counts as the newest.
func (m Model) atLeast(major, minor int) bool { return m.atLeastPatch(major, minor, 0) }

// atLeastPatch is atLeast with a patch level, for the changes RabbitMQ made
// in a patch release.
func (m Model) atLeastPatch(major, minor, patch int) bool {
	v, ok := parseVersion(m.Version)
	if !ok {
		return true
	}
	want := [3]int{major, minor, patch}
	for n := range v {
		if v[n] != want[n] {
			return v[n] > want[n]
		}
	}
	return true
}

// OlderThan reports whether the model's version is older than version
// ("3.13", "3.12.4"). An empty or unreadable model version is the newest,
// older than nothing; so is an unreadable version argument.
func (m Model) OlderThan(version string) bool {
	v, ok := parseVersion(version)
	if !ok {
		return false
	}
	return !m.atLeastPatch(v[0], v[1], v[2])
}

// ParseVersion reads a RabbitMQ version as major, minor and patch; ok is
// false when it is not one ("3.13" and "4.0.0-rc.1" are).
func ParseVersion(s string) (v [3]int, ok bool) { return parseVersion(s) }

// parseVersion reads "3.10.8" (or "4.0.0-rc.1", "3.13") as major, minor,
// patch.
func parseVersion(s string) (v [3]int, ok bool) {
	parts := strings.SplitN(s, ".", 3)
	if len(parts) < 2 {
		return v, false
	}
	for n, p := range parts {
		if i := strings.IndexAny(p, "-+"); i >= 0 {
			p = p[:i]
		}
		x, err := strconv.Atoi(p)
		if err != nil {
			return v, false
		}
		v[n] = x
	}
	return v, true
}

func (m Model) vhost() string {
	if m.VHost == "" {
		return "/"
	}
	return m.VHost
}

// Error is an AMQP error the publish (or a declaration) would get from
// RabbitMQ: the reply code and RabbitMQ's reply text, which starts with the
// code's name ("NOT_FOUND - no exchange 'x' in vhost '/'").
type Error struct {
	Code int
	Text string
}

func (e *Error) Error() string { return strconv.Itoa(e.Code) + " " + e.Text }

// ErrNoExchange is the 404 a publish to a missing exchange closes its
// channel with.
func (m Model) ErrNoExchange(name string) *Error {
	return &Error{Code: 404, Text: fmt.Sprintf("NOT_FOUND - no exchange '%s' in vhost '%s'", name, m.vhost())}
}

// ErrInternalExchange is the 403 a publish to an internal exchange closes
// its channel with (rabbit_channel:check_internal_exchange).
func (m Model) ErrInternalExchange(name string) *Error {
	return &Error{Code: 403, Text: fmt.Sprintf("ACCESS_REFUSED - cannot publish to internal exchange '%s' in vhost '%s'", name, m.vhost())}
}

// ErrUnknownExchangeType is what exchange.declare with an unknown type
// gets: 503 COMMAND_INVALID up to 3.13.2, 406 PRECONDITION_FAILED from
// 3.13.3 on and in 4.x (rabbit_exchange:check_type).
func (m Model) ErrUnknownExchangeType(typ string) *Error {
	if m.atLeastPatch(3, 13, 3) {
		return &Error{Code: 406, Text: fmt.Sprintf("PRECONDITION_FAILED - unknown exchange type '%s'", typ)}
	}
	return &Error{Code: 503, Text: fmt.Sprintf("COMMAND_INVALID - unknown exchange type '%s'", typ)}
}

// ValidName checks an exchange name, queue name or routing key against
// what AMQP 0-9-1 can carry: a short string of at most 255 bytes. Warren
// also asks for valid UTF-8 so that every name can be shown.
func ValidName(s string) error {
	if len(s) > 255 {
		return fmt.Errorf("%q... is %d bytes long; AMQP 0-9-1 names and routing keys are at most 255 bytes", s[:20], len(s))
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%q is not valid UTF-8", s)
	}
	return nil
}

// IsKnownExchangeType reports whether t is one of the four exchange types.
func IsKnownExchangeType(t ExchangeType) bool {
	switch t {
	case Direct, Fanout, Topic, Headers:
		return true
	}
	return false
}
