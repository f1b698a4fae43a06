package wire

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestFramesRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	body := bytes.Repeat([]byte("0123456789abcdef"), 20000) // 320000 bytes: three body frames at 131072
	steps := []func() error{
		func() error {
			return w.WriteMethod(0, &ConnectionTune{ChannelMax: 2047, FrameMax: 131072, Heartbeat: 60})
		},
		func() error { return w.WriteMethod(1, &BasicPublish{Exchange: "amq.direct", RoutingKey: "k"}) },
		func() error { return w.WriteContent(1, 60, Properties{DeliveryMode: 2}, body, 131072) },
		func() error { return w.WriteContent(2, 60, Properties{}, nil, 131072) },
		w.WriteHeartbeat,
		w.Flush,
	}
	for _, s := range steps {
		if err := s(); err != nil {
			t.Fatal(err)
		}
	}
	r := NewReader(&buf, 131072)
	var got []Frame
	for {
		f, err := r.ReadFrame()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, f)
	}
	wantTypes := []uint8{FrameMethod, FrameMethod, FrameHeader, FrameBody, FrameBody, FrameBody, FrameHeader, FrameHeartbeat}
	if len(got) != len(wantTypes) {
		t.Fatalf("read %d frames, want %d", len(got), len(wantTypes))
	}
	var reassembled []byte
	for i, f := range got {
		if f.Type != wantTypes[i] {
			t.Errorf("frame %d type %d, want %d", i, f.Type, wantTypes[i])
		}
		if f.Type == FrameBody {
			if len(f.Payload) > 131072-8 {
				t.Errorf("body frame of %d bytes exceeds frame_max-8", len(f.Payload))
			}
			reassembled = append(reassembled, f.Payload...)
		}
	}
	if !bytes.Equal(reassembled, body) {
		t.Error("body frames do not reassemble into the body")
	}
	if _, size, props, err := ParseContentHeader(got[2].Payload); err != nil || size != uint64(len(body)) || props.DeliveryMode != 2 {
		t.Errorf("content header: size %d props %+v err %v", size, props, err)
	}
	m, err := ParseMethod(got[1].Payload)
	if p, ok := m.(*BasicPublish); err != nil || !ok || p.Exchange != "amq.direct" || p.RoutingKey != "k" || got[1].Channel != 1 {
		t.Errorf("publish: %#v %v", m, err)
	}
}

func TestReaderRefuses(t *testing.T) {
	frame := func(typ uint8, size uint32, payload []byte, end byte) []byte {
		b := []byte{typ, 0, 1, byte(size >> 24), byte(size >> 16), byte(size >> 8), byte(size)}
		return append(append(b, payload...), end)
	}
	big := make([]byte, 5000)
	tests := []struct {
		name     string
		in       []byte
		frameMax uint32
		code     uint16 // 0: a plain io error is expected
		ioErr    error
	}{
		{"frame larger than frame_max", frame(FrameBody, 5000, big, FrameEnd), 4096, FrameError, nil},
		{"frame exactly frame_max", frame(FrameBody, 4088, big[:4088], FrameEnd), 4096, 0, nil},
		{"payload of frame_max, tolerated as RabbitMQ does", frame(FrameBody, 4096, big[:4096], FrameEnd), 4096, 0, nil},
		{"payload one byte over frame_max", frame(FrameBody, 4097, big[:4097], FrameEnd), 4096, FrameError, nil},
		{"bad frame end", frame(FrameMethod, 4, []byte{0, 20, 0, 10}, 0xCD), 0, FrameError, nil},
		{"unknown frame type", frame(7, 0, nil, FrameEnd), 0, FrameError, nil},
		{"cut in the header", []byte{1, 0}, 0, 0, io.ErrUnexpectedEOF},
		{"cut in the payload", frame(FrameMethod, 10, []byte{1, 2}, FrameEnd)[:9], 0, 0, io.ErrUnexpectedEOF},
		{"forged 4 GiB size without frame_max", frame(FrameBody, 0xFFFFFFF0, big, FrameEnd), 0, 0, io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewReader(bytes.NewReader(tt.in), tt.frameMax).ReadFrame()
			var we *Error
			switch {
			case tt.code != 0:
				if !errors.As(err, &we) || we.Code != tt.code {
					t.Fatalf("err = %v, want code %d", err, tt.code)
				}
			case tt.ioErr != nil:
				if !errors.Is(err, tt.ioErr) {
					t.Fatalf("err = %v, want %v", err, tt.ioErr)
				}
			default:
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
			}
		})
	}
}

// The reply texts are RabbitMQ's reader's, so that a learner sees the same
// words from both brokers.
func TestFrameErrorTexts(t *testing.T) {
	tests := []struct {
		in       []byte
		frameMax uint32
		want     string
	}{
		{[]byte{FrameBody, 0, 1, 0, 0, 0x13, 0x88}, 4096, "FRAME_ERROR - type 3, all octets = <<>>: {frame_too_large,5000,4088}"},
		{[]byte{FrameMethod, 0, 1, 0, 0, 0, 4, 0, 20, 0, 10, 0xCD}, 0, "FRAME_ERROR - type 1, all octets = <<0,20,0,10>>: {invalid_frame_end_marker,205}"},
		{[]byte{7, 0, 0, 0, 0, 0, 2, 'h', 'i', FrameEnd}, 0, `FRAME_ERROR - type 7, all octets = <<"hi">>: unknown_frame`},
	}
	for _, tt := range tests {
		_, err := NewReader(bytes.NewReader(tt.in), tt.frameMax).ReadFrame()
		var we *Error
		if !errors.As(err, &we) || we.Text != tt.want {
			t.Errorf("got %v\nwant 501 %s", err, tt.want)
		}
	}
}

func TestSetFrameMaxTakesEffect(t *testing.T) {
	b := []byte{FrameBody, 0, 1, 0, 0, 0x13, 0x88}
	b = append(append(b, make([]byte, 5000)...), FrameEnd)
	r := NewReader(bytes.NewReader(append(append([]byte(nil), b...), b...)), 0)
	if _, err := r.ReadFrame(); err != nil {
		t.Fatalf("before tune: %v", err)
	}
	r.SetFrameMax(FrameMinSize)
	var we *Error
	if _, err := r.ReadFrame(); !errors.As(err, &we) || we.Code != FrameError {
		t.Fatalf("after SetFrameMax(4096) a 5008-byte frame gave %v", err)
	}
}

func TestProtocolHeader(t *testing.T) {
	r := NewReader(bytes.NewReader([]byte(ProtocolHeader+"\x08\x00\x00\x00\x00\x00\x00\xce")), 0)
	h, err := r.ReadProtocolHeader()
	if err != nil || string(h[:]) != ProtocolHeader {
		t.Fatalf("header %q, %v", h, err)
	}
	if f, err := r.ReadFrame(); err != nil || f.Type != FrameHeartbeat {
		t.Fatalf("frame after header: %+v %v", f, err)
	}
}
