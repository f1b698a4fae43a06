package wire

import (
	"context"
	"fmt"
	"net"
	"reflect"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/sandbox/routing"
)

// scriptBroker answers every channel method amqp091-go can send with fixed
// replies, and hands what it decoded to the test. It proves, method by
// method, that this codec reads what amqp091-go writes (field order, bit
// packing, tables) and writes what amqp091-go reads (message counts...).
type scriptBroker struct {
	r        *Reader
	w        *Writer
	received chan Method
}

func (b *scriptBroker) serve() error {
	if _, err := b.r.ReadProtocolHeader(); err != nil {
		return err
	}
	for _, step := range []struct {
		send Method
		want Method
	}{
		{&ConnectionStart{VersionMajor: 0, VersionMinor: 9, Mechanisms: "PLAIN", Locales: "en_US",
			ServerProperties: routing.Table{"capabilities": routing.Table{"publisher_confirms": true, "basic.nack": true,
				"consumer_cancel_notify": true, "connection.blocked": true}}}, &ConnectionStartOk{}},
		{&ConnectionTune{ChannelMax: 2047, FrameMax: 131072}, &ConnectionTuneOk{}},
		{nil, &ConnectionOpen{}},
		{&ConnectionOpenOk{}, nil},
	} {
		if step.send != nil {
			if err := b.send(0, step.send); err != nil {
				return err
			}
		}
		if step.want != nil {
			f, err := b.r.ReadFrame()
			if err != nil {
				return err
			}
			m, err := ParseMethod(f.Payload)
			if err != nil {
				return err
			}
			if m.Name() != step.want.Name() {
				return fmt.Errorf("handshake: got %s, want %s", m.Name(), step.want.Name())
			}
		}
	}
	for {
		f, err := b.r.ReadFrame()
		if err != nil {
			return err
		}
		if f.Type != FrameMethod {
			continue // content of a publish: not what this test looks at
		}
		m, err := ParseMethod(f.Payload)
		if err != nil {
			return err
		}
		if err := b.answer(f.Channel, m); err != nil {
			return err
		}
		if _, ok := m.(*ConnectionClose); ok {
			return nil
		}
	}
}

func (b *scriptBroker) send(ch uint16, ms ...Method) error {
	for _, m := range ms {
		if err := b.w.WriteMethod(ch, m); err != nil {
			return err
		}
	}
	return b.w.Flush()
}

func (b *scriptBroker) answer(ch uint16, m Method) error {
	switch m.(type) {
	case *ChannelOpen:
		return b.send(ch, &ChannelOpenOk{})
	case *ChannelClose:
		return b.send(ch, &ChannelCloseOk{})
	case *ConnectionClose:
		return b.send(0, &ConnectionCloseOk{})
	}
	b.received <- m
	switch m := m.(type) {
	case *ExchangeDeclare:
		return b.send(ch, &ExchangeDeclareOk{})
	case *ExchangeDelete:
		return b.send(ch, &ExchangeDeleteOk{})
	case *ExchangeBind:
		return b.send(ch, &ExchangeBindOk{})
	case *ExchangeUnbind:
		return b.send(ch, &ExchangeUnbindOk{})
	case *QueueDeclare:
		return b.send(ch, &QueueDeclareOk{Queue: m.Queue, MessageCount: 7, ConsumerCount: 3})
	case *QueueBind:
		return b.send(ch, &QueueBindOk{})
	case *QueueUnbind:
		return b.send(ch, &QueueUnbindOk{})
	case *QueuePurge:
		return b.send(ch, &QueuePurgeOk{MessageCount: 11})
	case *QueueDelete:
		return b.send(ch, &QueueDeleteOk{MessageCount: 13})
	case *BasicQos:
		return b.send(ch, &BasicQosOk{})
	case *BasicConsume:
		return b.send(ch, &BasicConsumeOk{ConsumerTag: m.ConsumerTag})
	case *BasicCancel:
		return b.send(ch, &BasicCancelOk{ConsumerTag: m.ConsumerTag})
	case *BasicGet:
		if m.Queue == "empty" {
			return b.send(ch, &BasicGetEmpty{})
		}
		if err := b.w.WriteMethod(ch, &BasicGetOk{DeliveryTag: 5, Redelivered: true, Exchange: "x", RoutingKey: "k", MessageCount: 2}); err != nil {
			return err
		}
		if err := b.w.WriteContent(ch, 60, Properties{MessageID: "m"}, []byte("got"), 131072); err != nil {
			return err
		}
		return b.w.Flush()
	case *BasicRecover:
		return b.send(ch, &BasicRecoverOk{})
	case *ChannelFlow:
		return b.send(ch, &ChannelFlowOk{Active: m.Active})
	case *TxSelect:
		return b.send(ch, &TxSelectOk{})
	case *TxCommit:
		return b.send(ch, &TxCommitOk{})
	case *TxRollback:
		return b.send(ch, &TxRollbackOk{})
	case *ConfirmSelect:
		return b.send(ch, &ConfirmSelectOk{})
	case *BasicPublish:
		// An unroutable mandatory publish comes back, then is confirmed
		// with a nack, as a broker would for a rejected publish.
		if err := b.w.WriteMethod(ch, &BasicReturn{ReplyCode: NoRoute, ReplyText: "NO_ROUTE", Exchange: m.Exchange, RoutingKey: m.RoutingKey}); err != nil {
			return err
		}
		if err := b.w.WriteContent(ch, 60, Properties{}, []byte("back"), 131072); err != nil {
			return err
		}
		if err := b.w.WriteMethod(ch, &BasicNack{DeliveryTag: 1}); err != nil {
			return err
		}
		// And the server cancels a consumer and blocks the connection.
		if err := b.w.WriteMethod(ch, &BasicCancel{ConsumerTag: "ctag-cancelled", NoWait: true}); err != nil {
			return err
		}
		if err := b.w.WriteMethod(0, &ConnectionBlocked{Reason: "low on memory"}); err != nil {
			return err
		}
		return b.w.Flush()
	}
	return nil // basic.ack/nack/reject/recover-async: no reply
}

func TestAmqp091ClientEveryMethod(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	b := &scriptBroker{received: make(chan Method, 16)}
	served := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		b.r, b.w = NewReader(c, 0), NewWriter(c)
		served <- b.serve()
	}()
	conn, err := amqp.Dial("amqp://guest:guest@" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatalf("dial: %v (broker: %v)", err, waitServed(served))
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	args := amqp.Table{"x-a": int32(1)}
	targs := routing.Table{"x-a": int32(1)}
	var purged, deleted int
	var declared amqp.Queue
	var got amqp.Delivery
	var gotOk, emptyOk bool
	steps := []struct {
		do   func() error
		want Method
	}{
		{func() error { return ch.ExchangeDeclare("x", "topic", true, false, true, false, args) },
			&ExchangeDeclare{Exchange: "x", Type: "topic", Durable: true, Internal: true, Arguments: targs}},
		{func() error { return ch.ExchangeDeclarePassive("x", "topic", false, true, false, false, nil) },
			&ExchangeDeclare{Exchange: "x", Type: "topic", Passive: true, AutoDelete: true}},
		{func() error { return ch.ExchangeBind("d", "a.#", "s", false, args) },
			&ExchangeBind{Destination: "d", Source: "s", RoutingKey: "a.#", Arguments: targs}},
		{func() error { return ch.ExchangeUnbind("d", "a.#", "s", false, nil) },
			&ExchangeUnbind{Destination: "d", Source: "s", RoutingKey: "a.#"}},
		{func() error { return ch.ExchangeDelete("x", true, false) }, &ExchangeDelete{Exchange: "x", IfUnused: true}},
		{func() (err error) { declared, err = ch.QueueDeclare("q", false, true, true, false, args); return err },
			&QueueDeclare{Queue: "q", AutoDelete: true, Exclusive: true, Arguments: targs}},
		{func() error { return ch.QueueBind("q", "k", "x", false, args) },
			&QueueBind{Queue: "q", Exchange: "x", RoutingKey: "k", Arguments: targs}},
		{func() error { return ch.QueueUnbind("q", "k", "x", nil) }, &QueueUnbind{Queue: "q", Exchange: "x", RoutingKey: "k"}},
		{func() (err error) { purged, err = ch.QueuePurge("q", false); return err }, &QueuePurge{Queue: "q"}},
		{func() (err error) { deleted, err = ch.QueueDelete("q", true, true, false); return err },
			&QueueDelete{Queue: "q", IfUnused: true, IfEmpty: true}},
		{func() error { return ch.Qos(10, 4096, true) }, &BasicQos{PrefetchCount: 10, PrefetchSize: 4096, Global: true}},
		{func() error { _, err := ch.Consume("q", "ctag", false, true, true, false, args); return err },
			&BasicConsume{Queue: "q", ConsumerTag: "ctag", Exclusive: true, NoLocal: true, Arguments: targs}},
		{func() error { return ch.Cancel("ctag", false) }, &BasicCancel{ConsumerTag: "ctag"}},
		{func() (err error) { got, gotOk, err = ch.Get("q", true); return err }, &BasicGet{Queue: "q", NoAck: true}},
		{func() (err error) { _, emptyOk, err = ch.Get("empty", false); return err }, &BasicGet{Queue: "empty"}},
		{func() error { return ch.Ack(9, true) }, &BasicAck{DeliveryTag: 9, Multiple: true}},
		{func() error { return ch.Nack(10, true, false) }, &BasicNack{DeliveryTag: 10, Multiple: true}},
		{func() error { return ch.Reject(11, true) }, &BasicReject{DeliveryTag: 11, Requeue: true}},
		{func() error { return ch.Recover(true) }, &BasicRecover{Requeue: true}},
		{func() error { return ch.Flow(false) }, &ChannelFlow{Active: false}},
		{func() error { return ch.Flow(true) }, &ChannelFlow{Active: true}},
		{ch.Tx, &TxSelect{}},
		{ch.TxCommit, &TxCommit{}},
		{ch.TxRollback, &TxRollback{}},
	}
	for i, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("step %d (%s): %v", i, s.want.Name(), err)
		}
		select {
		case m := <-b.received:
			if !reflect.DeepEqual(m, s.want) {
				t.Errorf("step %d: broker decoded\n%#v\nwant\n%#v", i, m, s.want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("step %d: broker received nothing", i)
		}
	}
	if declared.Messages != 7 || declared.Consumers != 3 || purged != 11 || deleted != 13 {
		t.Errorf("counts: declare-ok %d/%d purge-ok %d delete-ok %d, want 7/3 11 13", declared.Messages, declared.Consumers, purged, deleted)
	}
	if !gotOk || got.DeliveryTag != 5 || !got.Redelivered || got.Exchange != "x" || got.RoutingKey != "k" ||
		got.MessageCount != 2 || got.MessageId != "m" || string(got.Body) != "got" {
		t.Errorf("basic.get-ok came back as %+v", got)
	}
	if emptyOk {
		t.Error("basic.get-empty read as a message")
	}

	// Server-initiated methods: return, nack, cancel, blocked.
	pch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	returns := pch.NotifyReturn(make(chan amqp.Return, 1))
	cancels := pch.NotifyCancel(make(chan string, 1))
	blocked := conn.NotifyBlocked(make(chan amqp.Blocking, 1))
	if err := pch.Confirm(false); err != nil {
		t.Fatal(err)
	}
	<-b.received // confirm.select
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	dc, err := pch.PublishWithDeferredConfirmWithContext(ctx, "x", "nowhere", true, false, amqp.Publishing{Body: []byte("back")})
	if err != nil {
		t.Fatal(err)
	}
	if m := <-b.received; !reflect.DeepEqual(m, &BasicPublish{Exchange: "x", RoutingKey: "nowhere", Mandatory: true}) {
		t.Errorf("publish decoded as %#v", m)
	}
	select {
	case r := <-returns:
		if r.ReplyCode != NoRoute || r.Exchange != "x" || r.RoutingKey != "nowhere" || string(r.Body) != "back" {
			t.Errorf("basic.return came back as %+v", r)
		}
	case <-ctx.Done():
		t.Fatal("no basic.return")
	}
	if ok, err := dc.WaitContext(ctx); ok || err != nil {
		t.Errorf("confirm: ack=%v err=%v, want a nack", ok, err)
	}
	select {
	case tag := <-cancels:
		if tag != "ctag-cancelled" {
			t.Errorf("server basic.cancel for %q", tag)
		}
	case <-ctx.Done():
		t.Fatal("no basic.cancel from the server")
	}
	select {
	case bl := <-blocked:
		if !bl.Active || bl.Reason != "low on memory" {
			t.Errorf("connection.blocked came back as %+v", bl)
		}
	case <-ctx.Done():
		t.Fatal("no connection.blocked")
	}
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
	if err := waitServed(served); err != nil {
		t.Fatalf("broker: %v", err)
	}
}
