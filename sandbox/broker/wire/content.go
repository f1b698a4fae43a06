package wire

import (
	"encoding/binary"
	"time"

	"github.com/warrenmq/warren/sandbox/routing"
)

// Properties are the basic class's content properties (the message
// properties of a content header frame). A zero field is not sent.
type Properties struct {
	ContentType     string
	ContentEncoding string
	Headers         routing.Table
	DeliveryMode    uint8 // 1 transient, 2 persistent
	Priority        uint8
	CorrelationID   string
	ReplyTo         string
	Expiration      string
	MessageID       string
	Timestamp       time.Time
	Type            string
	UserID          string
	AppID           string
	ClusterID       string // "reserved" in 0-9-1; carried for completeness
}

// Property flag bits, most significant first in the order the fields are
// encoded.
const (
	flagContentType     = 0x8000
	flagContentEncoding = 0x4000
	flagHeaders         = 0x2000
	flagDeliveryMode    = 0x1000
	flagPriority        = 0x0800
	flagCorrelationID   = 0x0400
	flagReplyTo         = 0x0200
	flagExpiration      = 0x0100
	flagMessageID       = 0x0080
	flagTimestamp       = 0x0040
	flagType            = 0x0020
	flagUserID          = 0x0010
	flagAppID           = 0x0008
	flagClusterID       = 0x0004
	flagContinuation    = 0x0001
)

// contentHeaderFixed is class id (2), weight (2), body size (8) and the
// property flags (2).
const contentHeaderFixed = 14

// ParseContentHeader decodes a content header frame's payload. Strings in
// props share payload's memory, as with ParseMethod. Malformed input
// returns a *Error with code FrameError, as RabbitMQ answers a header it
// cannot decode.
func ParseContentHeader(payload []byte) (classID uint16, bodySize uint64, props Properties, err error) {
	if len(payload) < contentHeaderFixed {
		return 0, 0, Properties{}, Errorf(FrameError, "content header of %d bytes is shorter than the %d its fixed fields take", len(payload), contentHeaderFixed)
	}
	classID = binary.BigEndian.Uint16(payload)
	bodySize = binary.BigEndian.Uint64(payload[4:])
	flags := binary.BigEndian.Uint16(payload[12:])
	if flags&flagContinuation != 0 {
		return 0, 0, Properties{}, Errorf(FrameError, "content header property flags 0x%04x have the continuation bit set, but class %d has only 14 properties", flags, classID)
	}
	d := decoder{b: payload, off: contentHeaderFixed}
	if flags&flagContentType != 0 {
		props.ContentType = d.shortstr()
	}
	if flags&flagContentEncoding != 0 {
		props.ContentEncoding = d.shortstr()
	}
	if flags&flagHeaders != 0 {
		props.Headers = d.table()
	}
	if flags&flagDeliveryMode != 0 {
		props.DeliveryMode = d.octet()
	}
	if flags&flagPriority != 0 {
		props.Priority = d.octet()
	}
	if flags&flagCorrelationID != 0 {
		props.CorrelationID = d.shortstr()
	}
	if flags&flagReplyTo != 0 {
		props.ReplyTo = d.shortstr()
	}
	if flags&flagExpiration != 0 {
		props.Expiration = d.shortstr()
	}
	if flags&flagMessageID != 0 {
		props.MessageID = d.shortstr()
	}
	if flags&flagTimestamp != 0 {
		props.Timestamp = d.timestamp()
	}
	if flags&flagType != 0 {
		props.Type = d.shortstr()
	}
	if flags&flagUserID != 0 {
		props.UserID = d.shortstr()
	}
	if flags&flagAppID != 0 {
		props.AppID = d.shortstr()
	}
	if flags&flagClusterID != 0 {
		props.ClusterID = d.shortstr()
	}
	if d.err != nil {
		if e, ok := d.err.(*Error); ok && e != errTruncated {
			return 0, 0, Properties{}, Errorf(FrameError, "cannot decode content header properties: %s", trimCodeName(e))
		}
		return 0, 0, Properties{}, Errorf(FrameError, "content header properties (flags 0x%04x) end after %d bytes", flags, len(payload))
	}
	return classID, bodySize, props, nil
}

// AppendContentHeader appends a content header payload. A property that
// cannot be encoded (a short string over 255 bytes, a header value AMQP has
// no type for) is truncated or sent as void; EncodeContentHeader reports it.
func AppendContentHeader(dst []byte, classID uint16, bodySize uint64, props Properties) []byte {
	b, _ := EncodeContentHeader(dst, classID, bodySize, &props)
	return b
}

// EncodeContentHeader is AppendContentHeader that reports a property it
// could not encode faithfully; props is a pointer so that the hot path
// copies nothing.
func EncodeContentHeader(dst []byte, classID uint16, bodySize uint64, props *Properties) ([]byte, error) {
	e := encoder{b: dst}
	e.short(classID)
	e.short(0) // weight, always 0
	e.longlong(bodySize)
	var flags uint16
	if props.ContentType != "" {
		flags |= flagContentType
	}
	if props.ContentEncoding != "" {
		flags |= flagContentEncoding
	}
	if len(props.Headers) > 0 {
		flags |= flagHeaders
	}
	if props.DeliveryMode != 0 {
		flags |= flagDeliveryMode
	}
	if props.Priority != 0 {
		flags |= flagPriority
	}
	if props.CorrelationID != "" {
		flags |= flagCorrelationID
	}
	if props.ReplyTo != "" {
		flags |= flagReplyTo
	}
	if props.Expiration != "" {
		flags |= flagExpiration
	}
	if props.MessageID != "" {
		flags |= flagMessageID
	}
	if !props.Timestamp.IsZero() {
		flags |= flagTimestamp
	}
	if props.Type != "" {
		flags |= flagType
	}
	if props.UserID != "" {
		flags |= flagUserID
	}
	if props.AppID != "" {
		flags |= flagAppID
	}
	if props.ClusterID != "" {
		flags |= flagClusterID
	}
	e.short(flags)
	if flags&flagContentType != 0 {
		e.shortstr(props.ContentType)
	}
	if flags&flagContentEncoding != 0 {
		e.shortstr(props.ContentEncoding)
	}
	if flags&flagHeaders != 0 {
		e.table(props.Headers)
	}
	if flags&flagDeliveryMode != 0 {
		e.octet(props.DeliveryMode)
	}
	if flags&flagPriority != 0 {
		e.octet(props.Priority)
	}
	if flags&flagCorrelationID != 0 {
		e.shortstr(props.CorrelationID)
	}
	if flags&flagReplyTo != 0 {
		e.shortstr(props.ReplyTo)
	}
	if flags&flagExpiration != 0 {
		e.shortstr(props.Expiration)
	}
	if flags&flagMessageID != 0 {
		e.shortstr(props.MessageID)
	}
	if flags&flagTimestamp != 0 {
		e.timestamp(props.Timestamp)
	}
	if flags&flagType != 0 {
		e.shortstr(props.Type)
	}
	if flags&flagUserID != 0 {
		e.shortstr(props.UserID)
	}
	if flags&flagAppID != 0 {
		e.shortstr(props.AppID)
	}
	if flags&flagClusterID != 0 {
		e.shortstr(props.ClusterID)
	}
	return e.b, e.err
}
