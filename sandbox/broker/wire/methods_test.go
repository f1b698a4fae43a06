package wire

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/warrenmq/warren/sandbox/routing"
)

// allMethods returns a fresh zero value of every method the package knows,
// found through the generated registry rather than a hand-kept list.
func allMethods(t *testing.T) []Method {
	t.Helper()
	var ms []Method
	for _, class := range []uint32{10, 20, 30, 40, 50, 60, 85, 90} {
		for method := uint32(0); method < 256; method++ {
			if m := readMethod(class<<16|method, &decoder{}); m != nil {
				ms = append(ms, reflect.New(reflect.TypeOf(m).Elem()).Interface().(Method))
			}
		}
	}
	return ms
}

// fill sets every field of the method struct to a distinctive non-zero value
// (bits alternate so that a bit landing in the wrong position shows).
func fill(m Method, seed int) {
	v := reflect.ValueOf(m).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		n := seed + i + 1
		switch f.Kind() {
		case reflect.Bool:
			f.SetBool((seed+i)%2 == 0)
		case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			f.SetUint(uint64(n*37) & (1<<(8*f.Type().Size()) - 1))
		case reflect.String:
			f.SetString(v.Type().Field(i).Name + "-" + string(rune('a'+n%26)))
		case reflect.Map:
			// One key (with a nested table) keeps the encoding deterministic.
			f.Set(reflect.ValueOf(routing.Table{"x-" + v.Type().Field(i).Name: routing.Table{"k": int32(n)}}))
		}
	}
}

func TestEveryMethodRoundTrips(t *testing.T) {
	ms := allMethods(t)
	if len(ms) < 60 {
		t.Fatalf("registry holds %d methods, expected the 60+ of classes connection..tx", len(ms))
	}
	for _, m := range ms {
		for seed := 0; seed < 2; seed++ {
			fill(m, seed)
			b, err := EncodeMethod(nil, m)
			if err != nil {
				t.Fatalf("%s: encode: %v", m.Name(), err)
			}
			got, err := ParseMethod(b)
			if err != nil {
				t.Fatalf("%s: parse %x: %v", m.Name(), b, err)
			}
			if !reflect.DeepEqual(got, m) {
				t.Errorf("%s (seed %d): round trip\n got %#v\nwant %#v", m.Name(), seed, got, m)
			}
			if got.ClassID() != m.ClassID() || got.MethodID() != m.MethodID() || got.Name() != m.Name() {
				t.Errorf("%s: ids changed to %d.%d %s", m.Name(), got.ClassID(), got.MethodID(), got.Name())
			}
			// A value (not a pointer) encodes the same bytes.
			vb := AppendMethod(nil, reflect.ValueOf(m).Elem().Interface().(Method))
			if string(vb) != string(b) {
				t.Errorf("%s: value and pointer encodings differ", m.Name())
			}
		}
	}
}

// The structs the broker is written against exist with these names and
// their ids are the specification's.
func TestMethodIDsAndNames(t *testing.T) {
	tests := []struct {
		m       Method
		class   uint16
		method  uint16
		name    string
		content bool
	}{
		{&ConnectionStart{}, 10, 10, "connection.start", false},
		{&ConnectionStartOk{}, 10, 11, "connection.start_ok", false},
		{&ConnectionTune{}, 10, 30, "connection.tune", false},
		{&ConnectionClose{}, 10, 50, "connection.close", false},
		{&ConnectionBlocked{}, 10, 60, "connection.blocked", false},
		{&ConnectionUnblocked{}, 10, 61, "connection.unblocked", false},
		{&ChannelOpen{}, 20, 10, "channel.open", false},
		{&ChannelFlowOk{}, 20, 21, "channel.flow_ok", false},
		{&ChannelClose{}, 20, 40, "channel.close", false},
		{&ExchangeDeclare{}, 40, 10, "exchange.declare", false},
		{&ExchangeBind{}, 40, 30, "exchange.bind", false},
		{&ExchangeUnbindOk{}, 40, 51, "exchange.unbind_ok", false},
		{&QueueDeclare{}, 50, 10, "queue.declare", false},
		{&QueueUnbind{}, 50, 50, "queue.unbind", false},
		{&QueuePurgeOk{}, 50, 31, "queue.purge_ok", false},
		{&BasicQos{}, 60, 10, "basic.qos", false},
		{&BasicPublish{}, 60, 40, "basic.publish", true},
		{&BasicReturn{}, 60, 50, "basic.return", true},
		{&BasicDeliver{}, 60, 60, "basic.deliver", true},
		{&BasicGetOk{}, 60, 71, "basic.get_ok", true},
		{&BasicGetEmpty{}, 60, 72, "basic.get_empty", false},
		{&BasicAck{}, 60, 80, "basic.ack", false},
		{&BasicRecoverAsync{}, 60, 100, "basic.recover_async", false},
		{&BasicNack{}, 60, 120, "basic.nack", false},
		{&ConfirmSelect{}, 85, 10, "confirm.select", false},
		{&TxRollbackOk{}, 90, 31, "tx.rollback_ok", false},
		{&AccessRequest{}, 30, 10, "access.request", false},
		{&AccessRequestOk{}, 30, 11, "access.request_ok", false},
	}
	for _, tt := range tests {
		if tt.m.ClassID() != tt.class || tt.m.MethodID() != tt.method || tt.m.Name() != tt.name || tt.m.HasContent() != tt.content {
			t.Errorf("%T = %d.%d %q content=%v, want %d.%d %q content=%v", tt.m, tt.m.ClassID(), tt.m.MethodID(), tt.m.Name(), tt.m.HasContent(), tt.class, tt.method, tt.name, tt.content)
		}
	}
}

// Bytes as amqp091-go sends them for ch.QueueDeclare("q", true, false,
// false, false, nil): the bits are packed into one octet, least significant
// first.
func TestQueueDeclareBytes(t *testing.T) {
	want := []byte{0, 50, 0, 10, 0, 0, 1, 'q', 0x02, 0, 0, 0, 0}
	got := AppendMethod(nil, &QueueDeclare{Queue: "q", Durable: true})
	if string(got) != string(want) {
		t.Fatalf("queue.declare = %v, want %v", got, want)
	}
	m, err := ParseMethod(want)
	if err != nil {
		t.Fatal(err)
	}
	if qd := m.(*QueueDeclare); qd.Queue != "q" || !qd.Durable || qd.Passive || qd.Exclusive || qd.AutoDelete || qd.NoWait || qd.Arguments != nil {
		t.Fatalf("parsed %+v", qd)
	}
}

func TestParseMethodRejects(t *testing.T) {
	publish := AppendMethod(nil, &BasicPublish{Exchange: "amq.topic", RoutingKey: "a.b", Mandatory: true})
	declare := AppendMethod(nil, &QueueDeclare{Queue: "q", Arguments: routing.Table{"x-max-length": int32(10)}})
	tests := []struct {
		name    string
		payload []byte
		code    uint16
	}{
		{"empty", nil, FrameError},
		{"three bytes", []byte{0, 60, 0}, FrameError},
		{"unknown class", []byte{0, 70, 0, 10}, NotImplemented},
		{"unknown method", []byte{0, 60, 0, 99}, CommandInvalid},
		{"publish cut in the exchange name", publish[:8], FrameError},
		{"publish without its bits", publish[:len(publish)-1], FrameError},
		{"declare cut in its arguments", declare[:len(declare)-3], FrameError},
		{"declare with a bad value type", append(declare[:len(declare)-5:len(declare)-5], 'Z', 0, 0, 0, 0), FrameError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMethod(tt.payload)
			var we *Error
			if !errors.As(err, &we) {
				t.Fatalf("ParseMethod = %v, %v; want a *Error", m, err)
			}
			if we.Code != tt.code {
				t.Fatalf("code %d (%s), want %d", we.Code, we.Text, tt.code)
			}
			if CodeName(we.Code) == "" || len(we.Text) < len(CodeName(we.Code)) || we.Text[:len(CodeName(we.Code))] != CodeName(we.Code) {
				t.Errorf("text %q does not start with the code's name", we.Text)
			}
		})
	}
}

// RabbitMQ's words for fields it cannot decode, and the failing method's
// ids for the connection.close.
func TestParseMethodErrorIsRabbitMQs(t *testing.T) {
	_, err := ParseMethod([]byte{0, 50, 0, 10, 0, 0, 5, 'q'})
	var we *Error
	if !errors.As(err, &we) {
		t.Fatalf("err = %v", err)
	}
	if we.Code != FrameError || we.Text != "FRAME_ERROR - cannot decode <<0,0,5,113>>" || we.ClassID != 50 || we.MethodID != 10 {
		t.Fatalf("got %+v", we)
	}
}

func TestEncodeReportsWhatItCannotEncode(t *testing.T) {
	long := string(make([]byte, 256))
	if _, err := EncodeMethod(nil, &QueueDeclare{Queue: long}); err == nil {
		t.Error("a 256-byte queue name encoded without error")
	}
	if _, err := EncodeMethod(nil, &QueueDeclare{Queue: "q", Arguments: routing.Table{"bad": struct{}{}}}); err == nil {
		t.Error("a struct{} table value encoded without error")
	}
	var buf [64]byte
	if err := NewWriter(&sliceWriter{b: buf[:0]}).WriteMethod(1, &QueueDeclare{Queue: long}); err == nil {
		t.Error("WriteMethod accepted a 256-byte queue name")
	}
}

type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

func TestContentHeaderRoundTrip(t *testing.T) {
	full := Properties{
		ContentType: "application/json", ContentEncoding: "gzip",
		Headers:      routing.Table{"x-retry": int32(3), "trace": "abc"},
		DeliveryMode: 2, Priority: 9, CorrelationID: "c-1", ReplyTo: "amq.rabbitmq.reply-to",
		Expiration: "60000", MessageID: "m-1", Timestamp: time.Unix(1700000000, 0),
		Type: "user.updated", UserID: "guest", AppID: "warren", ClusterID: "c",
	}
	tests := []struct {
		name  string
		props Properties
		size  uint64
	}{
		{"no properties", Properties{}, 12},
		{"persistent only", Properties{DeliveryMode: 2}, 1024},
		{"every property", full, 1 << 40},
		{"timestamp only", Properties{Timestamp: time.Unix(1, 0)}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := AppendContentHeader(nil, 60, tt.size, tt.props)
			class, size, got, err := ParseContentHeader(b)
			if err != nil {
				t.Fatal(err)
			}
			if class != 60 || size != tt.size {
				t.Errorf("class %d size %d, want 60 %d", class, size, tt.size)
			}
			if !got.Timestamp.Equal(tt.props.Timestamp) {
				t.Errorf("timestamp %v, want %v", got.Timestamp, tt.props.Timestamp)
			}
			got.Timestamp, tt.props.Timestamp = time.Time{}, time.Time{}
			if !reflect.DeepEqual(got, tt.props) {
				t.Errorf("got %#v\nwant %#v", got, tt.props)
			}
		})
	}
}

func TestContentHeaderRejects(t *testing.T) {
	ok := AppendContentHeader(nil, 60, 5, Properties{ContentType: "text/plain", Headers: routing.Table{"a": "b"}})
	tests := []struct {
		name    string
		payload []byte
	}{
		{"too short", ok[:13]},
		{"cut in a property", ok[:len(ok)-2]},
		{"continuation flag", func() []byte { b := append([]byte(nil), ok...); b[13] |= 1; return b }()},
		{"flags promise a missing property", func() []byte { b := append([]byte(nil), ok...); b[13] |= 0x04; return b }()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := ParseContentHeader(tt.payload)
			var we *Error
			if !errors.As(err, &we) || we.Code != FrameError {
				t.Fatalf("err = %v, want a 501 *Error", err)
			}
		})
	}
}
