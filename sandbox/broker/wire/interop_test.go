package wire

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"go.uber.org/goleak"

	"github.com/warrenmq/warren/sandbox/routing"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// miniBroker is just enough of a server, built on this package alone, for a
// real amqp091-go client to connect, open a channel, declare a queue,
// publish with confirms, consume, ack and close. Every byte the client
// sees was encoded here, and every byte it sent was decoded here: the test
// proves the codec against an independent implementation.
type miniBroker struct {
	conn     net.Conn
	r        *Reader
	w        *Writer
	consumer string // consumer tag of the one consumer, if any
	confirm  bool
	nextTag  uint64
	pubSeq   uint64
	acked    []uint64 // delivery tags the client acked
}

func (b *miniBroker) serve() error {
	hdr, err := b.r.ReadProtocolHeader()
	if err != nil {
		return err
	}
	if string(hdr[:]) != ProtocolHeader {
		return fmt.Errorf("protocol header %q", hdr)
	}
	if err := b.send(0, &ConnectionStart{VersionMajor: 0, VersionMinor: 9, Mechanisms: "PLAIN AMQPLAIN", Locales: "en_US",
		ServerProperties: routing.Table{"product": "warren-wire-test", "capabilities": routing.Table{
			"publisher_confirms": true, "basic.nack": true, "consumer_cancel_notify": true}}}); err != nil {
		return err
	}
	startOk, err := expect[*ConnectionStartOk](b)
	if err != nil {
		return err
	}
	if startOk.Mechanism != "PLAIN" || startOk.Response != "\x00guest\x00guest" {
		return fmt.Errorf("start-ok mechanism %q response %q", startOk.Mechanism, startOk.Response)
	}
	if product, _ := startOk.ClientProperties["product"].(string); product == "" {
		return fmt.Errorf("client properties without a product: %v", startOk.ClientProperties)
	}
	if err := b.send(0, &ConnectionTune{ChannelMax: 2047, FrameMax: 131072, Heartbeat: 0}); err != nil {
		return err
	}
	tuneOk, err := expect[*ConnectionTuneOk](b)
	if err != nil {
		return err
	}
	b.r.SetFrameMax(tuneOk.FrameMax)
	open, err := expect[*ConnectionOpen](b)
	if err != nil {
		return err
	}
	if open.VirtualHost != "/" {
		return fmt.Errorf("vhost %q", open.VirtualHost)
	}
	if err := b.send(0, &ConnectionOpenOk{}); err != nil {
		return err
	}
	for {
		f, err := b.r.ReadFrame()
		if err != nil {
			return err
		}
		if f.Type != FrameMethod {
			return fmt.Errorf("frame type %d outside content", f.Type)
		}
		m, err := ParseMethod(f.Payload)
		if err != nil {
			return err
		}
		done, err := b.handle(f.Channel, m)
		if err != nil || done {
			return err
		}
	}
}

func (b *miniBroker) handle(ch uint16, m Method) (done bool, err error) {
	switch m := m.(type) {
	case *ChannelOpen:
		return false, b.send(ch, &ChannelOpenOk{})
	case *QueueDeclare:
		return false, b.send(ch, &QueueDeclareOk{Queue: m.Queue})
	case *ConfirmSelect:
		b.confirm = true
		return false, b.send(ch, &ConfirmSelectOk{})
	case *BasicQos:
		return false, b.send(ch, &BasicQosOk{})
	case *BasicConsume:
		b.consumer = m.ConsumerTag
		return false, b.send(ch, &BasicConsumeOk{ConsumerTag: m.ConsumerTag})
	case *BasicPublish:
		header, body, err := b.readContent()
		if err != nil {
			return false, err
		}
		if b.confirm {
			b.pubSeq++
			if err := b.w.WriteMethod(ch, &BasicAck{DeliveryTag: b.pubSeq}); err != nil {
				return false, err
			}
		}
		if b.consumer != "" {
			b.nextTag++
			if err := b.w.WriteMethod(ch, &BasicDeliver{ConsumerTag: b.consumer, DeliveryTag: b.nextTag,
				Exchange: m.Exchange, RoutingKey: m.RoutingKey}); err != nil {
				return false, err
			}
			// Decode and re-encode the properties rather than relaying the
			// bytes, so that both directions of the header codec are tested.
			_, _, props, err := ParseContentHeader(header)
			if err != nil {
				return false, err
			}
			if err := b.w.WriteContent(ch, 60, props, body, 131072); err != nil {
				return false, err
			}
		}
		return false, b.w.Flush()
	case *BasicAck:
		b.acked = append(b.acked, m.DeliveryTag)
		return false, nil
	case *ChannelClose:
		return false, b.send(ch, &ChannelCloseOk{})
	case *ConnectionClose:
		return true, b.send(0, &ConnectionCloseOk{})
	}
	return false, fmt.Errorf("the test broker does not handle %s", m.Name())
}

func (b *miniBroker) readContent() (header, body []byte, err error) {
	f, err := b.r.ReadFrame()
	if err != nil {
		return nil, nil, err
	}
	if f.Type != FrameHeader {
		return nil, nil, fmt.Errorf("frame type %d after basic.publish", f.Type)
	}
	_, size, _, err := ParseContentHeader(f.Payload)
	if err != nil {
		return nil, nil, err
	}
	for uint64(len(body)) < size {
		bf, err := b.r.ReadFrame()
		if err != nil {
			return nil, nil, err
		}
		if bf.Type != FrameBody {
			return nil, nil, fmt.Errorf("frame type %d inside a body", bf.Type)
		}
		body = append(body, bf.Payload...)
	}
	return f.Payload, body, nil
}

func (b *miniBroker) send(ch uint16, m Method) error {
	if err := b.w.WriteMethod(ch, m); err != nil {
		return err
	}
	return b.w.Flush()
}

func expect[T Method](b *miniBroker) (T, error) {
	var zero T
	f, err := b.r.ReadFrame()
	if err != nil {
		return zero, err
	}
	m, err := ParseMethod(f.Payload)
	if err != nil {
		return zero, err
	}
	t, ok := m.(T)
	if !ok {
		return zero, fmt.Errorf("got %s, expected %s", m.Name(), zero.Name())
	}
	return t, nil
}

func TestAmqp091ClientAgainstTheCodec(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	served := make(chan error, 1)
	broker := &miniBroker{}
	go func() {
		c, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		broker.conn, broker.r, broker.w = c, NewReader(c, 0), NewWriter(c)
		served <- broker.serve()
	}()

	conn, err := amqp.Dial("amqp://guest:guest@" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatalf("amqp.Dial: %v (broker: %v)", err, waitServed(served))
	}
	ch, err := conn.Channel()
	if err != nil {
		t.Fatalf("channel: %v", err)
	}
	q, err := ch.QueueDeclare("wire-interop", true, false, false, false, amqp.Table{"x-queue-type": "classic", "x-max-length": int32(10)})
	if err != nil || q.Name != "wire-interop" {
		t.Fatalf("queue.declare: %v %v", q, err)
	}
	if err := ch.Qos(200, 0, false); err != nil {
		t.Fatalf("basic.qos: %v", err)
	}
	if err := ch.Confirm(false); err != nil {
		t.Fatalf("confirm.select: %v", err)
	}
	deliveries, err := ch.Consume("wire-interop", "ctag-interop", false, false, false, false, nil)
	if err != nil {
		t.Fatalf("basic.consume: %v", err)
	}
	body := bytes.Repeat([]byte("x"), 300000) // three body frames
	ts := time.Unix(1700000000, 0)
	pub := amqp.Publishing{
		ContentType: "application/json", DeliveryMode: amqp.Persistent, Priority: 5, CorrelationId: "corr",
		ReplyTo: "amq.rabbitmq.reply-to", Expiration: "60000", MessageId: "m-1", Timestamp: ts, Type: "t",
		UserId: "guest", AppId: "warren", Body: body,
		Headers: amqp.Table{"n": int32(7), "s": "str", "f": 1.5, "nested": amqp.Table{"b": true}, "list": []any{int64(1), "two"}},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	confirm, err := ch.PublishWithDeferredConfirmWithContext(ctx, "amq.direct", "rk", true, false, pub)
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	if ok, err := confirm.WaitContext(ctx); !ok || err != nil {
		t.Fatalf("confirm: ok=%v err=%v", ok, err)
	}
	var d amqp.Delivery
	select {
	case d = <-deliveries:
	case <-ctx.Done():
		t.Fatal("no delivery within 10s")
	}
	if d.ConsumerTag != "ctag-interop" || d.DeliveryTag != 1 || d.Exchange != "amq.direct" || d.RoutingKey != "rk" {
		t.Errorf("delivery envelope %q %d %q %q", d.ConsumerTag, d.DeliveryTag, d.Exchange, d.RoutingKey)
	}
	if !bytes.Equal(d.Body, body) {
		t.Errorf("body of %d bytes came back as %d bytes", len(body), len(d.Body))
	}
	if d.ContentType != pub.ContentType || d.DeliveryMode != 2 || d.Priority != 5 || d.CorrelationId != "corr" ||
		d.ReplyTo != pub.ReplyTo || d.Expiration != "60000" || d.MessageId != "m-1" || !d.Timestamp.Equal(ts) ||
		d.Type != "t" || d.UserId != "guest" || d.AppId != "warren" {
		t.Errorf("properties came back as %+v", d)
	}
	if d.Headers["n"] != int32(7) || d.Headers["s"] != "str" || d.Headers["f"] != 1.5 ||
		d.Headers["nested"].(amqp.Table)["b"] != true || len(d.Headers["list"].([]any)) != 2 {
		t.Errorf("headers came back as %#v", d.Headers)
	}
	if err := d.Ack(false); err != nil {
		t.Fatalf("ack: %v", err)
	}
	if err := ch.Close(); err != nil {
		t.Fatalf("channel.close: %v", err)
	}
	if err := conn.Close(); err != nil {
		t.Fatalf("connection.close: %v", err)
	}
	if err := waitServed(served); err != nil {
		t.Fatalf("test broker: %v", err)
	}
	if len(broker.acked) != 1 || broker.acked[0] != 1 {
		t.Errorf("broker saw acks %v, want [1]", broker.acked)
	}
}

func waitServed(served <-chan error) error {
	select {
	case err := <-served:
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	case <-time.After(10 * time.Second):
		return errors.New("test broker still running after 10s")
	}
}
