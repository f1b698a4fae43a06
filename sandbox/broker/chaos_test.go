package broker

import (
	"math/rand"
	"reflect"
	"testing"
	"time"

	"github.com/warrenmq/warren/sandbox/broker/wire"
	"github.com/warrenmq/warren/sandbox/routing"
)

// TestRandomMethodsNeverBreakTheBroker sends random sequences of methods
// with random fields (and stray content frames) on an open connection. The
// broker may close channels or the connection, as RabbitMQ would, but must
// not panic or hang: afterwards it still serves a normal client.
func TestRandomMethodsNeverBreakTheBroker(t *testing.T) {
	s := startBroker(t, Options{})
	methods := []wire.Method{
		&wire.BasicQos{}, &wire.BasicConsume{}, &wire.BasicCancel{}, &wire.BasicPublish{}, &wire.BasicGet{},
		&wire.BasicAck{}, &wire.BasicReject{}, &wire.BasicRecoverAsync{}, &wire.BasicRecover{}, &wire.BasicNack{},
		&wire.ChannelOpen{}, &wire.ChannelFlow{}, &wire.ChannelClose{}, &wire.ChannelCloseOk{}, &wire.ConfirmSelect{},
		&wire.ExchangeDeclare{}, &wire.ExchangeDelete{}, &wire.ExchangeBind{}, &wire.ExchangeUnbind{},
		&wire.QueueDeclare{}, &wire.QueueBind{}, &wire.QueueUnbind{}, &wire.QueuePurge{}, &wire.QueueDelete{},
		&wire.TxSelect{}, &wire.TxCommit{}, &wire.TxRollback{}, &wire.BasicDeliver{}, &wire.ConnectionTune{},
		&wire.AccessRequest{}, &wire.ConnectionUpdateSecret{},
	}
	words := []string{"", "q", "x", "amq.direct", "amq.topic", "amq.gen-x", "direct", "topic", "fanout", "headers", "#", "a.*"}
	tables := []routing.Table{nil, {"x-match": "any", "a": int32(1)}, {"x-message-ttl": int32(0), "x-dead-letter-exchange": ""},
		{"x-max-length": int32(1), "x-overflow": "reject-publish"}, {"alternate-exchange": "x"}, {"x-expires": int32(1)}}
	for seed := int64(1); seed <= 300; seed++ {
		r := rand.New(rand.NewSource(seed))
		rc := rawDial(t, s)
		rc.startOk(t, "\x00guest\x00guest")
		rc.readMethod(t) // tune
		rc.send(t, &wire.ConnectionTuneOk{ChannelMax: 2047, FrameMax: 131072})
		rc.send(t, &wire.ConnectionOpen{VirtualHost: "/"})
		rc.readMethod(t) // open-ok
		go func(nc interface{ Read([]byte) (int, error) }) {
			// drain what the broker answers so its writer never stalls
			buf := make([]byte, 4096)
			for {
				if _, err := nc.Read(buf); err != nil {
					return
				}
			}
		}(rc.nc)
		rc.w.WriteMethod(1, &wire.ChannelOpen{})
		for range 40 {
			m := reflect.New(reflect.TypeOf(methods[r.Intn(len(methods))]).Elem())
			for i := range m.Elem().NumField() {
				f := m.Elem().Field(i)
				switch f.Kind() {
				case reflect.String:
					f.SetString(words[r.Intn(len(words))])
				case reflect.Bool:
					f.SetBool(r.Intn(2) == 0)
				case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
					f.SetUint(uint64(r.Intn(4)))
				case reflect.Map:
					f.Set(reflect.ValueOf(tables[r.Intn(len(tables))]))
				}
			}
			ch := uint16(1 + r.Intn(2))
			if r.Intn(20) == 0 {
				ch = 0
			}
			rc.w.WriteMethod(ch, m.Interface().(wire.Method))
			switch r.Intn(6) {
			case 0:
				rc.w.WriteContent(ch, 60, wire.Properties{Expiration: words[r.Intn(3)]}, []byte("body"), 131072)
			case 1:
				rc.w.WriteFrame(wire.Frame{Type: wire.FrameBody, Channel: ch, Payload: []byte("stray")})
			}
		}
		rc.w.Flush()
		rc.nc.Close()
	}
	// still serving
	done := make(chan struct{})
	go func() {
		defer close(done)
		c := dial(t, s.URL())
		ch := openChannel(t, c)
		q := mustQueue(t, ch, nil)
		publish(t, ch, "", q, "still here", amqpPublishing())
		if d := mustGet(t, ch, q); string(d.Body) != "still here" {
			t.Errorf("got %s", d.Body)
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the broker no longer serves a normal client")
	}
}
