package broker

import (
	"context"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/internal/brokertest"
	"github.com/warrenmq/warren/sandbox/definitions"
)

// tracedVHost is a vhost with the firehose on, on one broker, and the URL
// to reach it as guest.
type tracedVHost struct {
	name, vhost, url string
	node             string // what the node header starts with
	off              func() // turns tracing off
}

func tracedVHosts(t *testing.T) []tracedVHost {
	t.Helper()
	s := startBroker(t, Options{})
	vh := uniq("warren-trace")
	if err := s.PutVHost(vh); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPermission(definitions.Permission{User: "guest", VHost: vh, Configure: ".*", Write: ".*", Read: ".*"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetTracing(vh, true); err != nil || !s.Tracing(vh) {
		t.Fatalf("SetTracing: %v, Tracing %v", err, s.Tracing(vh))
	}
	out := []tracedVHost{{name: "embedded", vhost: vh, url: s.URL() + url.PathEscape(vh), node: "warren@",
		off: func() { _ = s.SetTracing(vh, false) }}}

	if m, ok := brokertest.LiveManagement(t); ok {
		// rabbitmqctl trace_on -p VHOST, through the management API
		lv := brokertest.Unique("warren-trace")
		m.Must(t, "PUT", "/api/vhosts/"+url.PathEscape(lv), map[string]any{"tracing": true})
		t.Cleanup(func() { m.Do(t, "DELETE", "/api/vhosts/"+url.PathEscape(lv), nil) })
		m.SetPermissions(t, lv, m.User, ".*", ".*", ".*")
		u, err := url.Parse(brokertest.URL())
		if err != nil {
			t.Fatal(err)
		}
		u.Path = "/" + lv
		out = append(out, tracedVHost{name: "rabbitmq", vhost: lv, url: u.String(), node: "rabbit@",
			off: func() { m.Must(t, "PUT", "/api/vhosts/"+url.PathEscape(lv), map[string]any{"tracing": false}) }})
	}
	return out
}

// The firehose on both brokers: the same copies, with the same headers and
// types, for a publish that is routed, a publish to the default exchange
// that reaches no queue, and a delivery.
func TestFirehoseAsRabbitMQ(t *testing.T) {
	for _, b := range tracedVHosts(t) {
		t.Run(b.name, func(t *testing.T) {
			c := dial(t, b.url)
			ch := openChannel(t, c)
			tq, err := ch.QueueDeclare("", false, true, true, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := ch.QueueBind(tq.Name, "#", TraceExchange, false, nil); err != nil {
				t.Fatal(err)
			}
			traces, err := ch.Consume(tq.Name, "", true, true, false, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := ch.ExchangeDeclare("animals", "topic", false, true, false, false, nil); err != nil {
				t.Fatal(err)
			}
			q1, err := ch.QueueDeclare("", false, true, true, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := ch.QueueBind(q1.Name, "*.orange.*", "animals", false, nil); err != nil {
				t.Fatal(err)
			}
			cch := openChannel(t, c)
			ds, err := cch.Consume(q1.Name, "", false, true, false, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			pch := openChannel(t, c)
			ctx := context.Background()
			ts := time.Unix(1700000000, 0)
			err = pch.PublishWithContext(ctx, "animals", "quick.orange.rabbit", false, false, amqp.Publishing{
				ContentType: "text/plain", Headers: amqp.Table{"n": int32(1), "s": "x", "CC": []any{"lazy.orange.cat"}},
				MessageId: "m-1", DeliveryMode: 2, Priority: 3, CorrelationId: "c", ReplyTo: "r", Expiration: "60000",
				Timestamp: ts, Type: "t", UserId: "guest", AppId: "a", ContentEncoding: "identity", Body: []byte("hello")})
			if err != nil {
				t.Fatal(err)
			}
			if err := pch.PublishWithContext(ctx, "", "nowhere", true, false, amqp.Publishing{Body: []byte("lost")}); err != nil {
				t.Fatal(err)
			}
			d := recv(t, ds)
			if err := d.Ack(false); err != nil {
				t.Fatal(err)
			}

			got := map[string]amqp.Delivery{}
			var order []string
			for len(got) < 3 {
				m := recv(t, traces)
				got[m.RoutingKey] = m
				order = append(order, m.RoutingKey)
			}
			if strings.Index(strings.Join(order, " "), "publish.animals") > strings.Index(strings.Join(order, " "), "deliver.") {
				t.Errorf("trace order %v: the publish's copy should come before its delivery's", order)
			}
			conn := regexp.MustCompile(`^\S+:\d+ -> \S+:\d+$`)
			props := amqp.Table{
				"content_type": "text/plain", "content_encoding": "identity",
				"headers":       amqp.Table{"n": int32(1), "s": "x", "CC": []any{"lazy.orange.cat"}},
				"delivery_mode": int32(2), "priority": int32(3), "correlation_id": "c", "reply_to": "r",
				"expiration": "60000", "message_id": "m-1", "timestamp": int32(1700000000), "type": "t",
				"user_id": "guest", "app_id": "a",
			}
			check := func(key, body string, want amqp.Table) {
				t.Helper()
				m, ok := got[key]
				if !ok {
					t.Fatalf("no trace with routing key %q; got %v", key, order)
				}
				if m.Exchange != TraceExchange || string(m.Body) != body || m.ContentType != "" || m.DeliveryMode != 0 || m.MessageId != "" {
					t.Errorf("%s: exchange %q body %q content type %q delivery mode %d message id %q; want the trace exchange, the body, no properties",
						key, m.Exchange, m.Body, m.ContentType, m.DeliveryMode, m.MessageId)
				}
				h := m.Headers
				if n, ok := h["node"].(string); !ok || !strings.HasPrefix(n, b.node) {
					t.Errorf("%s: node %#v, want %s...", key, h["node"], b.node)
				}
				if cn, ok := h["connection"].(string); !ok || !conn.MatchString(cn) {
					t.Errorf("%s: connection %#v, want client -> server", key, h["connection"])
				}
				if _, ok := h["channel"].(int32); !ok {
					t.Errorf("%s: channel %#v (%T), want a signedint", key, h["channel"], h["channel"])
				}
				rest := amqp.Table{}
				for k, v := range h {
					if k != "node" && k != "connection" && k != "channel" {
						rest[k] = v
					}
				}
				want["vhost"], want["user"] = b.vhost, "guest"
				if !reflect.DeepEqual(rest, want) {
					t.Errorf("%s: headers\n%#v\nwant\n%#v", key, rest, want)
				}
			}
			check("publish.animals", "hello", amqp.Table{
				"exchange_name": "animals", "routing_keys": []any{"quick.orange.rabbit", "lazy.orange.cat"},
				"properties": props, "routed_queues": []any{q1.Name},
			})
			check("publish.", "lost", amqp.Table{
				"exchange_name": "", "routing_keys": []any{"nowhere"}, "properties": amqp.Table{},
				"routed_queues": []any{"nowhere"}, // as RabbitMQ: the queue the key names, though there is none
			})
			check("deliver."+q1.Name, "hello", amqp.Table{
				"exchange_name": "animals", "routing_keys": []any{"quick.orange.rabbit", "lazy.orange.cat"},
				"properties": props, "redelivered": int32(0),
			})

			// Off again: nothing more is copied.
			b.off()
			if err := pch.PublishWithContext(ctx, "animals", "quick.orange.fox", false, false, amqp.Publishing{Body: []byte("untraced")}); err != nil {
				t.Fatal(err)
			}
			if m := recv(t, ds); string(m.Body) != "untraced" {
				t.Fatalf("got %q", m.Body)
			}
			noDelivery(t, ch, traces)
		})
	}
}

func TestSetTracingUnknownVHost(t *testing.T) {
	s := startBroker(t, Options{})
	if err := s.SetTracing("nope", true); err == nil || !strings.Contains(err.Error(), "no vhost 'nope'") {
		t.Errorf("SetTracing(nope) = %v", err)
	}
	if err := s.SetTracing("/", true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetTracing("/", true); err != nil || !s.Tracing("/") {
		t.Errorf("on twice: %v, %v", err, s.Tracing("/"))
	}
	// Shutdown (t.Cleanup) stops the tracer's goroutine: goleak checks.
}
