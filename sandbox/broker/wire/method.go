package wire

//go:generate go run gen.go

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Method is one AMQP 0-9-1 method: the pointer or value of one of the
// structs in methods_*.go (QueueDeclare, BasicPublish, ...).
type Method interface {
	ClassID() uint16
	MethodID() uint16
	// Name is RabbitMQ's name for the method, e.g. "queue.declare",
	// "basic.get_ok", as its error texts spell it.
	Name() string
	// HasContent reports whether a content header and body frames follow
	// the method frame (basic.publish, basic.deliver, basic.return,
	// basic.get_ok).
	HasContent() bool
}

// ParseMethod decodes a method frame's payload. It returns a pointer to one
// of this package's method structs (*QueueDeclare, *BasicPublish...).
//
// Strings in the result share payload's memory (no copy on the publish
// path): payload must not be modified afterwards. Reader never reuses a
// payload it returned, so its frames are safe to parse.
//
// Errors are *Error: an unknown class is 540 NOT_IMPLEMENTED, an unknown
// method of a known class 503 COMMAND_INVALID, a payload that ends inside a
// field or holds a malformed field table 501 FRAME_ERROR "cannot decode
// <<...>>", RabbitMQ's code and words for it (with ClassID and MethodID
// set, for the connection.close). Bytes after the last field are ignored.
func ParseMethod(payload []byte) (Method, error) {
	if len(payload) < 4 {
		// RabbitMQ's reader does not recognise it as a method frame at all.
		return nil, frameError(FrameMethod, payload, "unknown_frame")
	}
	classID := binary.BigEndian.Uint16(payload)
	methodID := binary.BigEndian.Uint16(payload[2:])
	d := decoder{b: payload, off: 4}
	m := readMethod(uint32(classID)<<16|uint32(methodID), &d)
	if m == nil {
		if !knownClass(classID) {
			return nil, Errorf(NotImplemented, "unknown class %d (method %d)", classID, methodID)
		}
		return nil, Errorf(CommandInvalid, "unknown method %d of class %d", methodID, classID)
	}
	if d.err != nil {
		e := Errorf(FrameError, "cannot decode %s", erlangBytes(payload[4:], 40))
		e.ClassID, e.MethodID = classID, methodID
		return nil, e
	}
	if _, publish := m.(*BasicPublish); d.badUTF8 && !publish {
		// RabbitMQ validates the short strings of every method but
		// basic.publish, which its reader decodes on a fast path: a
		// name or consumer tag that is not UTF-8 closes the connection
		e := Errorf(FrameError, "Malformed UTF-8 in shortstr")
		e.ClassID, e.MethodID = classID, methodID
		return nil, e
	}
	return m, nil
}

func knownClass(id uint16) bool {
	switch id {
	case 10, 20, 30, 40, 50, 60, 85, 90:
		return true
	}
	return false
}

// erlangBytes prints up to max bytes of b as Erlang's ~w prints a binary,
// <<0,5,113>>, the way RabbitMQ shows fields it cannot decode; the cap
// keeps the reply text within a short string.
func erlangBytes(b []byte, max int) string {
	more := ""
	if len(b) > max {
		b, more = b[:max], ",..."
	}
	var sb strings.Builder
	sb.WriteString("<<")
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(strconv.Itoa(int(c)))
	}
	sb.WriteString(more + ">>")
	return sb.String()
}

// trimCodeName drops "FRAME_ERROR - " (the code's name) from an inner error's text so that
// the outer text does not repeat it.
func trimCodeName(e *Error) string {
	prefix := CodeName(e.Code) + " - "
	if len(e.Text) >= len(prefix) && e.Text[:len(prefix)] == prefix {
		return e.Text[len(prefix):]
	}
	return e.Text
}

// AppendMethod appends m's method frame payload (class id, method id,
// fields) to dst. A field that cannot be encoded (a short string over 255
// bytes, a table value AMQP has no type for) is truncated or sent as void;
// use WriteMethod, or EncodeMethod, to be told about it.
func AppendMethod(dst []byte, m Method) []byte {
	b, _ := EncodeMethod(dst, m)
	return b
}

var errForeignMethod = errors.New("wire: a Method that is not one of package wire's structs cannot be encoded")

// EncodeMethod is AppendMethod that also reports a field it could not
// encode faithfully (the bytes are still a well-formed method).
func EncodeMethod(dst []byte, m Method) ([]byte, error) {
	e := encoder{b: dst}
	if !writeMethod(&e, m) {
		// m is not formatted (%T) on purpose: handing it to fmt would make
		// every method struct escape to the heap, on the hot path too.
		return dst, errForeignMethod
	}
	if e.err != nil {
		id := binary.BigEndian.Uint32(e.b[len(dst):])
		return e.b, fmt.Errorf("%s: %w", methodName(id), e.err)
	}
	return e.b, nil
}
