package wire

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// The broker's hot path per message: read publish + header + body, write
// deliver + header + body, read ack. Run with
// go test -run='^$' -bench=. -benchmem ./sandbox/broker/wire/
var benchBodies = []int{12, 1024}

func publishFrames(b testing.TB, bodySize int) []byte {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.WriteMethod(1, &BasicPublish{Exchange: "", RoutingKey: "bench-queue"}); err != nil {
		b.Fatal(err)
	}
	if err := w.WriteContent(1, 60, Properties{DeliveryMode: 2, ContentType: "application/octet-stream"}, make([]byte, bodySize), 131072); err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// repeatReader yields the same bytes forever, so that a benchmark reads
// without allocating input.
type repeatReader struct {
	data []byte
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.data[r.off:])
		n += c
		r.off = (r.off + c) % len(r.data)
	}
	return n, nil
}

func BenchmarkDecodePublish(b *testing.B) {
	for _, size := range benchBodies {
		b.Run(fmt.Sprintf("body=%d", size), func(b *testing.B) {
			frames := publishFrames(b, size)
			r := NewReader(&repeatReader{data: frames}, 131072)
			b.SetBytes(int64(len(frames)))
			b.ReportAllocs()
			for b.Loop() {
				f, err := r.ReadFrame()
				if err != nil {
					b.Fatal(err)
				}
				m, err := ParseMethod(f.Payload)
				if err != nil {
					b.Fatal(err)
				}
				if m.(*BasicPublish).RoutingKey != "bench-queue" {
					b.Fatal("routing key")
				}
				h, err := r.ReadFrame()
				if err != nil {
					b.Fatal(err)
				}
				if _, _, _, err := ParseContentHeader(h.Payload); err != nil {
					b.Fatal(err)
				}
				if _, err := r.ReadFrame(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEncodeDeliver(b *testing.B) {
	for _, size := range benchBodies {
		b.Run(fmt.Sprintf("body=%d", size), func(b *testing.B) {
			body := make([]byte, size)
			props := Properties{DeliveryMode: 2, ContentType: "application/octet-stream"}
			w := NewWriter(io.Discard)
			b.ReportAllocs()
			tag := uint64(0)
			for b.Loop() {
				tag++
				if err := w.WriteMethod(1, &BasicDeliver{ConsumerTag: "ctag-1", DeliveryTag: tag, Exchange: "", RoutingKey: "bench-queue"}); err != nil {
					b.Fatal(err)
				}
				if err := w.WriteContent(1, 60, props, body, 131072); err != nil {
					b.Fatal(err)
				}
			}
			_ = w.Flush()
		})
	}
}

// BenchmarkRelayDeliver writes the publisher's header bytes unchanged, the
// way a broker can deliver without decoding properties.
func BenchmarkRelayDeliver(b *testing.B) {
	header := AppendContentHeader(nil, 60, 12, Properties{DeliveryMode: 2, ContentType: "application/octet-stream"})
	body := make([]byte, 12)
	w := NewWriter(io.Discard)
	b.ReportAllocs()
	tag := uint64(0)
	for b.Loop() {
		tag++
		if err := w.WriteMethod(1, &BasicDeliver{ConsumerTag: "ctag-1", DeliveryTag: tag, RoutingKey: "bench-queue"}); err != nil {
			b.Fatal(err)
		}
		if err := w.WriteContentHeader(1, header, body, 131072); err != nil {
			b.Fatal(err)
		}
	}
	_ = w.Flush()
}

func BenchmarkAck(b *testing.B) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	_ = w.WriteMethod(1, &BasicAck{DeliveryTag: 12345, Multiple: false})
	_ = w.Flush()
	r := NewReader(&repeatReader{data: buf.Bytes()}, 131072)
	enc := NewWriter(io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		f, err := r.ReadFrame()
		if err != nil {
			b.Fatal(err)
		}
		m, err := ParseMethod(f.Payload)
		if err != nil {
			b.Fatal(err)
		}
		if err := enc.WriteMethod(1, m); err != nil {
			b.Fatal(err)
		}
	}
}

// The publish/deliver path must not allocate per field: at most the method
// struct on decode, nothing on encode. Allocation counts are exact, so this
// is a behaviour test, not a timing one.
func TestHotPathAllocations(t *testing.T) {
	frames := publishFrames(t, 12)
	r := NewReader(&repeatReader{data: frames}, 131072)
	decode := testing.AllocsPerRun(1000, func() {
		f, _ := r.ReadFrame()
		_, _ = ParseMethod(f.Payload)
		h, _ := r.ReadFrame()
		_, _, _, _ = ParseContentHeader(h.Payload)
		_, _ = r.ReadFrame()
	})
	if decode > 1 {
		t.Errorf("decoding publish+header+body allocates %v times, want at most 1 (the method struct)", decode)
	}
	w := NewWriter(io.Discard)
	body := make([]byte, 12)
	props := Properties{DeliveryMode: 2}
	encode := testing.AllocsPerRun(1000, func() {
		_ = w.WriteMethod(1, &BasicDeliver{ConsumerTag: "c", DeliveryTag: 1, RoutingKey: "k"})
		_ = w.WriteContent(1, 60, props, body, 131072)
		_ = w.WriteMethod(1, &BasicAck{DeliveryTag: 1})
	})
	if encode != 0 {
		t.Errorf("encoding deliver+header+body+ack allocates %v times, want 0", encode)
	}
}
