package amqpuri

import (
	"errors"
	"fmt"
	"strings"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Default is a RabbitMQ on this machine with its out-of-the-box user: the
// broker a process that cannot embed one (the user-update services, the
// benchmark, the tests' live broker) uses when it is given none.
const Default = "amqp://guest:guest@127.0.0.1:5672/"

// EnvVar is the environment variable that names the broker when no flag
// does.
const EnvVar = "AMQP_URL"

// Resolve returns the URL a command should use: flag when it is set, else
// $AMQP_URL (read through getenv, so that tests need not touch the
// process's environment), else fallback. The CLI's fallback is "", meaning
// the embedded broker; a separate process's is Default.
func Resolve(flag string, getenv func(string) string, fallback string) string {
	if flag != "" {
		return flag
	}
	if u := getenv(EnvVar); u != "" {
		return u
	}
	return fallback
}

// ErrInvalid is what Validate's errors wrap: the URL is a mistake to fix,
// not a broker to wait for.
var ErrInvalid = errors.New("not a valid AMQP URL (want amqp://user:password@host:5672/vhost)")

// Validate returns nil when raw is a URL amqp091-go can dial, else an
// error wrapping ErrInvalid that says what is wrong, with the password
// masked.
func Validate(raw string) error {
	if _, err := amqp.ParseURI(raw); err != nil {
		return fmt.Errorf("%w: %s", ErrInvalid, MaskIn(err.Error(), raw))
	}
	return nil
}

// MaskIn returns text with every copy of the URL raw in it masked: for a
// message that quotes the URL it was given, as amqp091-go's errors do.
func MaskIn(text, raw string) string {
	if raw == "" {
		return text
	}
	return strings.ReplaceAll(text, raw, Mask(raw))
}

// mask is what a password is shown as.
const mask = "*****"

// Mask returns raw with its password replaced by *****, and everything
// else as it was typed: amqp://guest:*****@127.0.0.1:5672/. A URL without
// a password, or without "://", is returned unchanged.
//
// It reads the URL as text, not through url.Parse, so that it also hides
// the password of a URL the parser refuses. The credentials end at the
// last '@': a password with an unescaped '@', '/' or '?' is hidden whole,
// and a '@' later in the URL (rare in a vhost or a query) hides more than
// the password rather than less.
func Mask(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return raw
	}
	user, _, hasPassword := strings.Cut(rest[:at], ":")
	if !hasPassword {
		return raw
	}
	return scheme + "://" + user + ":" + mask + rest[at:]
}
