package sandbox

import (
	"fmt"

	"github.com/warrenmq/warren/sandbox/routing"
)

// maxShortstr is AMQP 0-9-1's limit on a short string: exchange and queue
// names, routing keys, table (header and argument) keys.
const maxShortstr = 255

// amqp091-go refuses to encode a longer short string, but it does so by
// shutting the whole connection down (501 FRAME_ERROR): every consumer and
// unacked message goes with it. So the Session checks first and refuses
// the one call, with a message that says what to shorten.

func checkShortstr(what, s string) error {
	if len(s) > maxShortstr {
		return fmt.Errorf("%s %.40q... is %d bytes; AMQP 0-9-1 allows at most %d: shorten it", what, s, len(s), maxShortstr)
	}
	return nil
}

func checkTableKeys(what string, v any) error {
	switch t := v.(type) {
	case routing.Table:
		return checkTableKeys(what, map[string]any(t))
	case map[string]any:
		for k, x := range t {
			if err := checkShortstr(what, k); err != nil {
				return err
			}
			if err := checkTableKeys(what, x); err != nil {
				return err
			}
		}
	case []any:
		for _, x := range t {
			if err := checkTableKeys(what, x); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkPublishing(p Publishing) error {
	if err := checkShortstr("exchange name", p.Exchange); err != nil {
		return err
	}
	if err := checkShortstr("routing key", p.RoutingKey); err != nil {
		return err
	}
	for _, s := range []struct{ what, v string }{{"message id", p.MessageID}, {"content type", p.ContentType}, {"expiration", p.Expiration}, {"reply_to", p.ReplyTo}, {"correlation id", p.CorrelationID}} {
		if err := checkShortstr(s.what, s.v); err != nil {
			return err
		}
	}
	return checkTableKeys("header name", p.Headers)
}

func checkTopology(t routing.Topology) error {
	for _, x := range t.Exchanges {
		if err := checkShortstr("exchange name", x.Name); err != nil {
			return err
		}
		if err := checkTableKeys("argument name", x.Arguments); err != nil {
			return err
		}
	}
	for _, q := range t.Queues {
		if err := checkShortstr("queue name", q.Name); err != nil {
			return err
		}
		if err := checkTableKeys("argument name", q.Arguments); err != nil {
			return err
		}
	}
	for _, b := range t.Bindings {
		for _, s := range []struct{ what, v string }{{"exchange name", b.Source}, {"binding destination", b.Destination}, {"routing key", b.RoutingKey}} {
			if err := checkShortstr(s.what, s.v); err != nil {
				return err
			}
		}
		if err := checkTableKeys("argument name", b.Arguments); err != nil {
			return err
		}
	}
	return nil
}
