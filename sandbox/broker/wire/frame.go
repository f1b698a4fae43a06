package wire

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Frame is one AMQP frame. Payload belongs to whoever holds the Frame:
// Reader never reuses it.
type Frame struct {
	Type    uint8
	Channel uint16
	Payload []byte
}

const (
	readBufferSize = 64 << 10
	// Small payloads (method frames, content headers, small bodies) are
	// carved from a shared slab instead of allocated one by one; a live
	// payload keeps at most one slab reachable.
	slabSize     = 32 << 10
	slabMaxFrame = 1 << 10
	// Without a negotiated frame_max, a payload larger than this is read
	// in steps so that a forged size cannot make us allocate 4 GiB up
	// front.
	trustedAllocation = 1 << 20
)

// Reader reads frames from a connection. It is not safe for concurrent use.
type Reader struct {
	br       *bufio.Reader
	frameMax uint32
	slab     []byte
	consumed int64 // bytes of the frames returned so far
}

// Consumed is how many bytes the frames ReadFrame returned so far took,
// headers and frame-end octets included.
func (r *Reader) Consumed() int64 { return r.consumed }

// NewReader returns a Reader over r. frameMax is the negotiated frame_max
// (frame header and frame-end included, as in connection.tune); 0 means
// none yet.
func NewReader(r io.Reader, frameMax uint32) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, readBufferSize), frameMax: frameMax}
}

// SetFrameMax changes the largest frame accepted, once connection.tune-ok
// has settled it; 0 removes the limit.
func (r *Reader) SetFrameMax(n uint32) { r.frameMax = n }

// ReadProtocolHeader reads the 8 octets a client sends before its first
// frame. The caller compares them with ProtocolHeader (and, when they
// differ, answers with ProtocolHeader and closes, as RabbitMQ does).
func (r *Reader) ReadProtocolHeader() ([8]byte, error) {
	var h [8]byte
	b, err := r.br.Peek(8)
	copy(h[:], b)
	if err != nil {
		if err == io.EOF && len(b) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return h, err
	}
	_, _ = r.br.Discard(8)
	return h, nil
}

// ReadFrame reads the next frame. It returns io.EOF when the connection
// ends cleanly between frames, io.ErrUnexpectedEOF inside one, and a *Error
// with code FrameError (worded as RabbitMQ words it) for a payload larger
// than frame_max, a missing frame-end octet or an unknown frame type; after
// a *Error the connection must be closed.
func (r *Reader) ReadFrame() (Frame, error) {
	h, err := r.br.Peek(7)
	if err != nil {
		if err == io.EOF && len(h) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return Frame{}, err
	}
	f := Frame{Type: h[0], Channel: binary.BigEndian.Uint16(h[1:])}
	size := binary.BigEndian.Uint32(h[3:])
	// RabbitMQ tolerates a payload of up to frame_max itself (its
	// FRAME_SIZE_FUDGE of 8 bytes, because many clients get frame_max off by
	// the frame overhead), and so do we, so that a client RabbitMQ accepts is
	// accepted here too.
	if r.frameMax != 0 && size > r.frameMax {
		return Frame{}, frameError(f.Type, nil, fmt.Sprintf("{frame_too_large,%d,%d}", size, r.frameMax-min(r.frameMax, frameOverhead)))
	}
	_, _ = r.br.Discard(7)
	if size > 0 {
		f.Payload, err = r.readPayload(int(size))
		if err != nil {
			return Frame{}, err
		}
	}
	end, err := r.br.ReadByte()
	if err != nil {
		return Frame{}, unexpected(err)
	}
	if end != FrameEnd {
		return Frame{}, frameError(f.Type, f.Payload, fmt.Sprintf("{invalid_frame_end_marker,%d}", end))
	}
	switch f.Type {
	case FrameMethod, FrameHeader, FrameBody, FrameHeartbeat:
	default:
		return Frame{}, frameError(f.Type, f.Payload, "unknown_frame")
	}
	r.consumed += int64(size) + frameOverhead
	return f, nil
}

func (r *Reader) readPayload(size int) ([]byte, error) {
	var p []byte
	switch {
	case size <= slabMaxFrame:
		if len(r.slab) < size {
			r.slab = make([]byte, slabSize)
		}
		p = r.slab[:size:size]
		r.slab = r.slab[size:]
	case r.frameMax == 0 && size > trustedAllocation:
		// Grow as the bytes actually arrive.
		p = make([]byte, 0, trustedAllocation)
		for len(p) < size {
			if len(p) == cap(p) {
				p = append(p, 0)[:len(p)]
			}
			n := min(cap(p), size) - len(p)
			m, err := io.ReadFull(r.br, p[len(p):len(p)+n])
			p = p[:len(p)+m]
			if err != nil {
				return nil, unexpected(err)
			}
		}
		return p, nil
	default:
		p = make([]byte, size)
	}
	if _, err := io.ReadFull(r.br, p); err != nil {
		return nil, unexpected(err)
	}
	return p, nil
}

// frameError words a framing error as RabbitMQ's reader does:
// "FRAME_ERROR - type 3, all octets = <<>>: {frame_too_large,5000,4088}".
func frameError(typ uint8, payload []byte, reason string) *Error {
	which := "all"
	if len(payload) > 16 {
		which, payload = "first 16", payload[:16]
	}
	return Errorf(FrameError, "type %d, %s octets = %s: %s", typ, which, erlangBinary(payload), reason)
}

// erlangBinary prints b as Erlang's ~p prints a binary: <<"text">> when
// it is printable ASCII, else <<1,2,3>>.
func erlangBinary(b []byte) string {
	printable := len(b) > 0
	for _, c := range b {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			printable = false
			break
		}
	}
	if printable {
		return `<<"` + string(b) + `">>`
	}
	return erlangBytes(b, len(b))
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Writer buffers frames for a connection; Flush sends them. It is not safe
// for concurrent use: a connection has one writer goroutine (or a mutex).
type Writer struct {
	w   io.Writer
	buf []byte
	err error
}

const (
	writeBufferSize = 64 << 10
	// A body chunk at least this large is written straight from the
	// caller's slice rather than copied into the buffer first.
	directWriteSize = 16 << 10
)

// NewWriter returns a Writer that sends to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w, buf: make([]byte, 0, writeBufferSize)}
}

// Buffered is the number of bytes waiting for Flush.
func (w *Writer) Buffered() int { return len(w.buf) }

// beginFrame appends a frame header whose size is patched by endFrame.
func (w *Writer) beginFrame(typ uint8, channel uint16) int {
	w.buf = append(w.buf, typ, byte(channel>>8), byte(channel), 0, 0, 0, 0)
	return len(w.buf)
}

func (w *Writer) endFrame(start int) error {
	binary.BigEndian.PutUint32(w.buf[start-4:], uint32(len(w.buf)-start))
	w.buf = append(w.buf, FrameEnd)
	return w.maybeFlush()
}

func (w *Writer) maybeFlush() error {
	if len(w.buf) >= writeBufferSize {
		return w.Flush()
	}
	return w.err
}

// WriteFrame buffers one frame as it is.
func (w *Writer) WriteFrame(f Frame) error {
	if w.err != nil {
		return w.err
	}
	start := w.beginFrame(f.Type, f.Channel)
	if len(f.Payload) >= directWriteSize {
		return w.writeDirect(start, f.Payload)
	}
	w.buf = append(w.buf, f.Payload...)
	return w.endFrame(start)
}

// writeDirect sends the buffer and then payload without copying it.
func (w *Writer) writeDirect(start int, payload []byte) error {
	binary.BigEndian.PutUint32(w.buf[start-4:], uint32(len(payload)))
	if err := w.Flush(); err != nil {
		return err
	}
	if _, err := w.w.Write(payload); err != nil {
		w.err = err
		return err
	}
	w.buf = append(w.buf, FrameEnd)
	return nil
}

// WriteMethod buffers a method frame. A method whose fields cannot be
// encoded (a short string over 255 bytes, a table value AMQP has no type
// for) is not written and the error says why.
func (w *Writer) WriteMethod(channel uint16, m Method) error {
	if w.err != nil {
		return w.err
	}
	start := w.beginFrame(FrameMethod, channel)
	b, err := EncodeMethod(w.buf, m)
	if err != nil {
		w.buf = w.buf[:start-7]
		return err
	}
	w.buf = b
	return w.endFrame(start)
}

// WriteContent buffers a content header frame and the body frames that
// carry body, each at most frameMax-8 bytes of payload (frameMax 0: one
// body frame). A body of zero bytes has no body frame.
func (w *Writer) WriteContent(channel uint16, classID uint16, props Properties, body []byte, frameMax uint32) error {
	if w.err != nil {
		return w.err
	}
	start := w.beginFrame(FrameHeader, channel)
	b, err := EncodeContentHeader(w.buf, classID, uint64(len(body)), &props)
	if err != nil {
		w.buf = w.buf[:start-7]
		return err
	}
	w.buf = b
	if err := w.endFrame(start); err != nil {
		return err
	}
	return w.writeBody(channel, body, frameMax)
}

// WriteContentHeader buffers a content header frame whose payload the
// caller already has (e.g. the one a publisher sent, relayed unchanged to
// consumers), followed by the body frames. It saves decoding and
// re-encoding the properties of every delivered message.
func (w *Writer) WriteContentHeader(channel uint16, header []byte, body []byte, frameMax uint32) error {
	if err := w.WriteFrame(Frame{Type: FrameHeader, Channel: channel, Payload: header}); err != nil {
		return err
	}
	return w.writeBody(channel, body, frameMax)
}

func (w *Writer) writeBody(channel uint16, body []byte, frameMax uint32) error {
	chunk := len(body)
	if frameMax != 0 {
		if frameMax < FrameMinSize {
			frameMax = FrameMinSize
		}
		chunk = int(frameMax - frameOverhead)
	}
	for len(body) > 0 {
		n := min(chunk, len(body))
		if err := w.WriteFrame(Frame{Type: FrameBody, Channel: channel, Payload: body[:n]}); err != nil {
			return err
		}
		body = body[n:]
	}
	return nil
}

// WriteHeartbeat buffers a heartbeat frame.
func (w *Writer) WriteHeartbeat() error {
	return w.WriteFrame(Frame{Type: FrameHeartbeat})
}

// Flush sends everything buffered. After a write error every call returns
// that error.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.w.Write(w.buf)
	w.buf = w.buf[:0]
	if err != nil {
		w.err = err
	}
	return err
}
