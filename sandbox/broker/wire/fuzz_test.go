package wire

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
	"time"

	"github.com/warrenmq/warren/sandbox/routing"
)

// seedMethods are real encodings of the methods a client and a broker
// exchange most, the fuzzers' starting points.
func seedMethods() [][]byte {
	ms := []Method{
		&ConnectionStart{VersionMajor: 0, VersionMinor: 9, Mechanisms: "PLAIN AMQPLAIN", Locales: "en_US",
			ServerProperties: routing.Table{"product": "RabbitMQ", "capabilities": routing.Table{"publisher_confirms": true}}},
		&ConnectionStartOk{ClientProperties: routing.Table{"product": "amqp091-go", "version": "1.16.0"}, Mechanism: "PLAIN", Response: "\x00guest\x00guest", Locale: "en_US"},
		&ConnectionTune{ChannelMax: 2047, FrameMax: 131072, Heartbeat: 60},
		&ConnectionOpen{VirtualHost: "/"},
		&ConnectionClose{ReplyCode: 320, ReplyText: "CONNECTION_FORCED - broker forced connection closure"},
		&ChannelOpen{}, &ChannelClose{ReplyCode: 404, ReplyText: "NOT_FOUND - no queue 'q' in vhost '/'", FailingClassID: 50, FailingMethodID: 10},
		&ExchangeDeclare{Exchange: "x", Type: "headers", Durable: true, Arguments: routing.Table{"alternate-exchange": "ae"}},
		&QueueDeclare{Queue: "q", Durable: true, Arguments: routing.Table{"x-message-ttl": int32(1000), "x-dead-letter-exchange": "dlx", "x-args": []any{int64(1), 1.5, nil}}},
		&QueueBind{Queue: "q", Exchange: "amq.topic", RoutingKey: "a.*.#", Arguments: routing.Table{"x-match": "all", "d": routing.Decimal{Scale: 1, Value: 5}}},
		&BasicQos{PrefetchCount: 200},
		&BasicConsume{Queue: "q", ConsumerTag: "ctag-1"},
		&BasicPublish{Exchange: "amq.direct", RoutingKey: "k", Mandatory: true},
		&BasicDeliver{ConsumerTag: "ctag-1", DeliveryTag: 42, Redelivered: true, Exchange: "amq.direct", RoutingKey: "k"},
		&BasicAck{DeliveryTag: 42, Multiple: true},
		&BasicNack{DeliveryTag: 7, Requeue: true},
		&ConfirmSelect{},
	}
	var out [][]byte
	for _, m := range ms {
		out = append(out, AppendMethod(nil, m))
	}
	return out
}

func seedHeaders() [][]byte {
	return [][]byte{
		AppendContentHeader(nil, 60, 12, Properties{}),
		AppendContentHeader(nil, 60, 1024, Properties{DeliveryMode: 2, ContentType: "text/plain"}),
		AppendContentHeader(nil, 60, 5, Properties{
			ContentType: "application/json", ContentEncoding: "gzip", DeliveryMode: 1, Priority: 3,
			Headers:       routing.Table{"x-death": []any{routing.Table{"count": int64(1), "reason": "expired", "time": time.Unix(1700000000, 0)}}},
			CorrelationID: "c", ReplyTo: "r", Expiration: "100", MessageID: "m", Timestamp: time.Unix(1, 0),
			Type: "t", UserID: "guest", AppID: "a", ClusterID: "cl",
		}),
	}
}

func FuzzReadFrame(f *testing.F) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	_ = w.WriteMethod(1, &BasicPublish{Exchange: "amq.direct", RoutingKey: "k"})
	_ = w.WriteContent(1, 60, Properties{DeliveryMode: 2}, []byte("hello world!"), 4096)
	_ = w.WriteHeartbeat()
	_ = w.Flush()
	f.Add(buf.Bytes(), uint32(0))
	f.Add(buf.Bytes(), uint32(4096))
	f.Add([]byte(ProtocolHeader), uint32(0))
	f.Fuzz(func(t *testing.T, in []byte, frameMax uint32) {
		r := NewReader(bytes.NewReader(in), frameMax)
		for i := 0; i < 1000; i++ {
			fr, err := r.ReadFrame()
			if err != nil {
				var we *Error
				if !errors.As(err, &we) && err != io.EOF && err != io.ErrUnexpectedEOF {
					t.Fatalf("error of unexpected kind: %v", err)
				}
				if we != nil && we.Code != FrameError {
					t.Fatalf("reader error code %d, want 501", we.Code)
				}
				return
			}
			if frameMax != 0 && uint64(len(fr.Payload)) > uint64(frameMax) {
				t.Fatalf("accepted a %d-byte payload with frame_max %d", len(fr.Payload), frameMax)
			}
			// Whatever was read re-encodes to the bytes it came from.
			var out bytes.Buffer
			w := NewWriter(&out)
			if err := w.WriteFrame(fr); err != nil {
				t.Fatal(err)
			}
			_ = w.Flush()
			again, err := NewReader(&out, 0).ReadFrame()
			if err != nil || again.Type != fr.Type || again.Channel != fr.Channel || !bytes.Equal(again.Payload, fr.Payload) {
				t.Fatalf("frame %+v did not survive a rewrite: %+v %v", fr, again, err)
			}
		}
	})
}

func FuzzParseMethod(f *testing.F) {
	for _, s := range seedMethods() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := ParseMethod(in)
		if err != nil {
			var we *Error
			if !errors.As(err, &we) {
				t.Fatalf("error is not a *Error: %v", err)
			}
			switch we.Code {
			case FrameError, CommandInvalid, NotImplemented:
			default:
				t.Fatalf("unexpected code %d: %s", we.Code, we.Text)
			}
			return
		}
		// A method that parsed re-encodes and parses to the same value.
		b, err := EncodeMethod(nil, m)
		if err != nil {
			t.Fatalf("%s parsed but does not re-encode: %v", m.Name(), err)
		}
		m2, err := ParseMethod(b)
		if err != nil {
			t.Fatalf("%s re-encoded to something unparsable: %v", m.Name(), err)
		}
		if !equalIgnoringTime(m, m2) {
			t.Fatalf("%s changed in a round trip:\n%#v\n%#v", m.Name(), m, m2)
		}
	})
}

func FuzzReadTable(f *testing.F) {
	for _, t := range []routing.Table{
		{"x-match": "any", "format": "pdf", "n": int32(1)},
		{"all": []any{true, int8(1), uint8(2), int16(3), uint16(4), int32(5), uint32(6), int64(7), float32(8), 9.0,
			routing.Decimal{Scale: 1, Value: 10}, "11", []byte("12"), time.Unix(13, 0), routing.Table{"14": nil}}},
	} {
		b, _ := AppendTable(nil, t)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		tab, n, err := ReadTable(in)
		if err != nil {
			var we *Error
			if !errors.As(err, &we) || we.Code != FrameError {
				t.Fatalf("error is not a 501 *Error: %v", err)
			}
			return
		}
		if n < 4 || n > len(in) {
			t.Fatalf("consumed %d bytes of %d", n, len(in))
		}
		b, err := AppendTable(nil, tab)
		if err != nil {
			t.Fatalf("a decoded table does not re-encode: %v", err)
		}
		tab2, _, err := ReadTable(b)
		if err != nil || !equalIgnoringTime(tab, tab2) {
			t.Fatalf("table changed in a round trip: %v -> %v (%v)", tab, tab2, err)
		}
	})
}

func FuzzParseContentHeader(f *testing.F) {
	for _, s := range seedHeaders() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		class, size, props, err := ParseContentHeader(in)
		if err != nil {
			var we *Error
			if !errors.As(err, &we) || we.Code != FrameError {
				t.Fatalf("error is not a 501 *Error: %v", err)
			}
			return
		}
		b, err := EncodeContentHeader(nil, class, size, &props)
		if err != nil {
			t.Fatalf("decoded properties do not re-encode: %v", err)
		}
		class2, size2, props2, err := ParseContentHeader(b)
		if err != nil || class2 != class || size2 != size || !equalIgnoringTime(props, props2) {
			t.Fatalf("content header changed in a round trip: %#v -> %#v (%v)", props, props2, err)
		}
	})
}

// equalIgnoringTime is reflect.DeepEqual except that time.Time values are
// compared with Equal (a decoded time carries the local zone) and NaN
// floats equal themselves (a NaN header value must round-trip too).
func equalIgnoringTime(a, b any) bool {
	return deepEqual(reflect.ValueOf(a), reflect.ValueOf(b))
}

var timeType = reflect.TypeOf(time.Time{})

func deepEqual(a, b reflect.Value) bool {
	if a.IsValid() != b.IsValid() {
		return false
	}
	if !a.IsValid() {
		return true
	}
	if a.Type() != b.Type() {
		return false
	}
	if a.Type() == timeType {
		return a.Interface().(time.Time).Equal(b.Interface().(time.Time))
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return deepEqual(a.Elem(), b.Elem())
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			if !deepEqual(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		for _, k := range a.MapKeys() {
			if !deepEqual(a.MapIndex(k), b.MapIndex(k)) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if a.Len() != b.Len() || a.IsNil() != b.IsNil() {
			return false
		}
		for i := 0; i < a.Len(); i++ {
			if !deepEqual(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Float32, reflect.Float64:
		x, y := a.Float(), b.Float()
		return x == y || (x != x && y != y)
	}
	return a.Equal(b)
}
