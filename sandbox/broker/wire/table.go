package wire

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/warrenmq/warren/sandbox/routing"
)

// Limits that keep a hostile field table from exhausting the stack or the
// heap. RabbitMQ decodes tables nested 18,000 deep (a frame of 128 KiB
// holds about 21,000 levels), so the depth bound only refuses what could
// not be decoded safely: 65,536 levels of recursion are a few MiB of
// goroutine stack, and no frame a client can send nests deeper than
// frame_max / 5 bytes. (amqp091-go's reader stops at 32: a consumer using
// it cannot read what RabbitMQ and Warren deliver past that.)
const (
	maxFieldDepth        = 1 << 16
	maxContainerElements = 8192
	tableSizeFieldLength = 4
)

// ReadTable decodes a field table that starts at b[0] with its 4-byte
// length, and returns it with the number of bytes it took. An empty table
// decodes as nil. Strings in the result share b's memory: b must not be
// modified afterwards (Reader never reuses a payload). Malformed input
// returns a *Error with code FrameError (RabbitMQ closes the connection
// with 501 FRAME_ERROR when it cannot decode a frame's fields).
func ReadTable(b []byte) (routing.Table, int, error) {
	return readTable(b, 0)
}

func readTable(b []byte, depth int) (routing.Table, int, error) {
	if depth > maxFieldDepth {
		return nil, 0, Errorf(FrameError, "field table nested deeper than %d levels", maxFieldDepth)
	}
	if len(b) < tableSizeFieldLength {
		return nil, 0, Errorf(FrameError, "field table truncated: %d bytes where its 4-byte length was expected", len(b))
	}
	size := binary.BigEndian.Uint32(b)
	if uint64(size) > uint64(len(b)-tableSizeFieldLength) {
		return nil, 0, Errorf(FrameError, "field table says it is %d bytes long but only %d follow", size, len(b)-tableSizeFieldLength)
	}
	end := tableSizeFieldLength + int(size)
	if size == 0 {
		return nil, end, nil
	}
	t := make(routing.Table)
	d := decoder{b: b[:end], off: tableSizeFieldLength}
	for d.off < end {
		key := d.shortstr()
		if d.err != nil {
			return nil, 0, Errorf(FrameError, "field table truncated in a key")
		}
		v, err := readField(&d, depth)
		if err != nil {
			return nil, 0, err
		}
		if len(t) >= maxContainerElements {
			return nil, 0, Errorf(FrameError, "field table has more than %d entries", maxContainerElements)
		}
		t[key] = v
	}
	return t, end, nil
}

func readArray(d *decoder, depth int) ([]any, error) {
	if depth > maxFieldDepth {
		return nil, Errorf(FrameError, "field array nested deeper than %d levels", maxFieldDepth)
	}
	size := d.long()
	if d.err != nil || uint64(size) > uint64(len(d.b)-d.off) {
		return nil, Errorf(FrameError, "field array truncated")
	}
	end := d.off + int(size)
	sub := decoder{b: d.b[:end], off: d.off}
	d.off = end
	var a []any
	for sub.off < end {
		v, err := readField(&sub, depth)
		if err != nil {
			return nil, err
		}
		if len(a) >= maxContainerElements {
			return nil, Errorf(FrameError, "field array has more than %d elements", maxContainerElements)
		}
		a = append(a, v)
	}
	if a == nil {
		a = []any{}
	}
	return a, nil
}

// readField decodes one type octet and its value, with the types and
// letters amqp091-go and RabbitMQ use.
func readField(d *decoder, depth int) (any, error) {
	typ := d.octet()
	var v any
	switch typ {
	case 't':
		v = d.octet() != 0
	case 'b':
		v = int8(d.octet())
	case 'B':
		v = d.octet()
	case 's':
		v = int16(d.short())
	case 'u':
		v = d.short()
	case 'I':
		v = int32(d.long())
	case 'i':
		v = d.long()
	case 'l':
		v = int64(d.longlong())
	case 'f':
		v = math.Float32frombits(d.long())
	case 'd':
		v = math.Float64frombits(d.longlong())
	case 'D':
		scale := d.octet()
		v = routing.Decimal{Scale: scale, Value: int32(d.long())}
	case 'S':
		v = d.longstr()
	case 'x':
		s := d.longstr()
		v = []byte(s) // a copy: callers may change a []byte, never a string
	case 'T':
		v = d.timestamp()
	case 'V':
		v = nil
	case 'F':
		if d.err != nil {
			break
		}
		t, n, err := readTable(d.b[d.off:], depth+1)
		if err != nil {
			return nil, err
		}
		d.off += n
		if t == nil {
			t = routing.Table{}
		}
		v = t
	case 'A':
		if d.err != nil {
			break
		}
		a, err := readArray(d, depth+1)
		if err != nil {
			return nil, err
		}
		v = a
	default:
		if d.err == nil {
			return nil, Errorf(FrameError, "unknown field table value type %q", rune(typ))
		}
	}
	if d.err != nil {
		return nil, Errorf(FrameError, "field table value truncated")
	}
	return v, nil
}

// AppendTable appends t as a field table (4-byte length, then entries).
// Values are typed as amqp091-go types them; Go int is sent as 'l' (int64)
// and map[string]any as a nested table. A value of any other type is sent
// as void ('V') and reported in the error, so a caller that ignores the
// error still produces a well-formed frame.
func AppendTable(dst []byte, t routing.Table) ([]byte, error) {
	return appendTable(dst, t, 0)
}

func appendTable(dst []byte, t map[string]any, depth int) ([]byte, error) {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	var firstErr error
	for k, v := range t {
		if len(k) > 255 {
			if firstErr == nil {
				firstErr = Errorf(SyntaxError, "field table key of %d bytes is longer than 255: %.40q...", len(k), k)
			}
			k = k[:255]
		}
		dst = append(dst, byte(len(k)))
		dst = append(dst, k...)
		var err error
		dst, err = appendField(dst, v, depth)
		if err != nil && firstErr == nil {
			firstErr = err
			if depth == 0 {
				// named once, at the top: wrapping at every level would
				// make a deeply nested table's error quadratic to build
				firstErr = fmt.Errorf("field table key %q: %w", k, err)
			}
		}
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-tableSizeFieldLength))
	return dst, firstErr
}

func appendField(dst []byte, v any, depth int) ([]byte, error) {
	switch v.(type) {
	case routing.Table, map[string]any, []any:
		// The reader refuses deeper nesting; never write what it refuses.
		if depth+1 > maxFieldDepth {
			return append(dst, 'V'), Errorf(SyntaxError, "field value nested deeper than %d levels", maxFieldDepth)
		}
	}
	switch v := v.(type) {
	case nil:
		return append(dst, 'V'), nil
	case bool:
		b := byte(0)
		if v {
			b = 1
		}
		return append(dst, 't', b), nil
	case int8:
		return append(dst, 'b', byte(v)), nil
	case uint8:
		return append(dst, 'B', v), nil
	case int16:
		return binary.BigEndian.AppendUint16(append(dst, 's'), uint16(v)), nil
	case uint16:
		return binary.BigEndian.AppendUint16(append(dst, 'u'), v), nil
	case int32:
		return binary.BigEndian.AppendUint32(append(dst, 'I'), uint32(v)), nil
	case uint32:
		return binary.BigEndian.AppendUint32(append(dst, 'i'), v), nil
	case int64:
		return binary.BigEndian.AppendUint64(append(dst, 'l'), uint64(v)), nil
	case int:
		return binary.BigEndian.AppendUint64(append(dst, 'l'), uint64(v)), nil
	case float32:
		return binary.BigEndian.AppendUint32(append(dst, 'f'), math.Float32bits(v)), nil
	case float64:
		return binary.BigEndian.AppendUint64(append(dst, 'd'), math.Float64bits(v)), nil
	case routing.Decimal:
		return binary.BigEndian.AppendUint32(append(dst, 'D', v.Scale), uint32(v.Value)), nil
	case string:
		dst = binary.BigEndian.AppendUint32(append(dst, 'S'), uint32(len(v)))
		return append(dst, v...), nil
	case []byte:
		dst = binary.BigEndian.AppendUint32(append(dst, 'x'), uint32(len(v)))
		return append(dst, v...), nil
	case time.Time:
		return binary.BigEndian.AppendUint64(append(dst, 'T'), uint64(v.Unix())), nil
	case routing.Table:
		return appendTable(append(dst, 'F'), v, depth+1)
	case map[string]any:
		return appendTable(append(dst, 'F'), v, depth+1)
	case []any:
		dst = append(dst, 'A')
		start := len(dst)
		dst = append(dst, 0, 0, 0, 0)
		var firstErr error
		for _, e := range v {
			var err error
			dst, err = appendField(dst, e, depth+1)
			if err != nil && firstErr == nil {
				firstErr = err
			}
		}
		binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
		return dst, firstErr
	}
	return append(dst, 'V'), Errorf(SyntaxError, "a field table cannot hold a %T (%v)", v, v)
}
