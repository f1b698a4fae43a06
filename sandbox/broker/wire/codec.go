package wire

import (
	"encoding/binary"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/warrenmq/warren/sandbox/routing"
)

// decoder reads AMQP primitive types from a payload. It never panics: the
// first short read (or bad table) is kept in err, and every later read
// returns a zero value, so generated code needs no error check per field.
type decoder struct {
	b       []byte
	off     int
	err     error
	badUTF8 bool // a shortstr was not valid UTF-8 (ParseMethod refuses it)
}

// errTruncated marks a payload that ended inside a field; the caller turns
// it into RabbitMQ's FRAME_ERROR for the method or header.
var errTruncated = &Error{Code: FrameError, Text: "FRAME_ERROR - truncated"}

func (d *decoder) need(n int) bool {
	if d.err != nil {
		return false
	}
	if n < 0 || len(d.b)-d.off < n {
		d.err = errTruncated
		d.off = len(d.b)
		return false
	}
	return true
}

func (d *decoder) octet() uint8 {
	if !d.need(1) {
		return 0
	}
	v := d.b[d.off]
	d.off++
	return v
}

func (d *decoder) short() uint16 {
	if !d.need(2) {
		return 0
	}
	v := binary.BigEndian.Uint16(d.b[d.off:])
	d.off += 2
	return v
}

func (d *decoder) long() uint32 {
	if !d.need(4) {
		return 0
	}
	v := binary.BigEndian.Uint32(d.b[d.off:])
	d.off += 4
	return v
}

func (d *decoder) longlong() uint64 {
	if !d.need(8) {
		return 0
	}
	v := binary.BigEndian.Uint64(d.b[d.off:])
	d.off += 8
	return v
}

func (d *decoder) timestamp() time.Time {
	if !d.need(8) {
		return time.Time{}
	}
	return time.Unix(int64(d.longlong()), 0)
}

// bytesString returns a string sharing b's memory. Payloads handed out by
// Reader are never reused, so the bytes cannot change under the string;
// this saves an allocation per exchange name and routing key on the
// publish/deliver hot path.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func (d *decoder) shortstr() string {
	n := int(d.octet())
	if !d.need(n) {
		return ""
	}
	s := bytesString(d.b[d.off : d.off+n])
	d.off += n
	if !d.badUTF8 && !utf8.ValidString(s) {
		d.badUTF8 = true
	}
	return s
}

func (d *decoder) longstr() string {
	n := d.long()
	if d.err != nil {
		return ""
	}
	if uint64(n) > uint64(len(d.b)-d.off) {
		d.need(len(d.b) - d.off + 1)
		return ""
	}
	s := bytesString(d.b[d.off : d.off+int(n)])
	d.off += int(n)
	return s
}

func (d *decoder) table() routing.Table {
	if d.err != nil {
		return nil
	}
	t, n, err := readTable(d.b[d.off:], 0)
	if err != nil {
		d.err = err
		d.off = len(d.b)
		return nil
	}
	d.off += n
	return t
}

// encoder appends AMQP primitive types. A value that cannot be encoded (a
// shortstr over 255 bytes, a table value of a type AMQP has no field type
// for) is encoded as best it can be and remembered in err.
type encoder struct {
	b   []byte
	err error
}

func (e *encoder) octet(v uint8)     { e.b = append(e.b, v) }
func (e *encoder) short(v uint16)    { e.b = binary.BigEndian.AppendUint16(e.b, v) }
func (e *encoder) long(v uint32)     { e.b = binary.BigEndian.AppendUint32(e.b, v) }
func (e *encoder) longlong(v uint64) { e.b = binary.BigEndian.AppendUint64(e.b, v) }

func (e *encoder) timestamp(t time.Time) { e.longlong(uint64(t.Unix())) }

func (e *encoder) shortstr(s string) {
	if len(s) > 255 {
		if e.err == nil {
			e.err = Errorf(SyntaxError, "short string of %d bytes is longer than 255: %.40q...", len(s), s)
		}
		s = s[:255]
	}
	e.b = append(e.b, byte(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) longstr(s string) {
	e.long(uint32(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) table(t routing.Table) {
	var err error
	e.b, err = appendTable(e.b, t, 0)
	if err != nil && e.err == nil {
		e.err = err
	}
}
