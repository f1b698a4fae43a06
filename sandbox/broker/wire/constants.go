package wire

import "fmt"

// Frame types and sizes of AMQP 0-9-1 (section 4.2.3 of the specification).
const (
	FrameMethod    = 1
	FrameHeader    = 2
	FrameBody      = 3
	FrameHeartbeat = 8
	FrameEnd       = 0xCE

	// FrameMinSize is the smallest frame_max a peer may propose; frames of
	// this size are allowed before connection.tune-ok.
	FrameMinSize = 4096

	// frameOverhead is what a frame adds around its payload: type (1),
	// channel (2), size (4) and the frame-end octet (1). A payload may be
	// at most frame_max - frameOverhead long.
	frameOverhead = 8
)

// ProtocolHeader opens every AMQP 0-9-1 connection; a server answers any
// other header by sending this one and closing the socket.
const ProtocolHeader = "AMQP\x00\x00\x09\x01"

// Reply codes, as in connection.close / channel.close / basic.return.
// 3xx and 403-406 are soft errors (they close the channel), the rest hard
// errors (they close the connection).
const (
	ReplySuccess       = 200
	ContentTooLarge    = 311
	NoRoute            = 312
	NoConsumers        = 313
	ConnectionForced   = 320
	InvalidPath        = 402
	AccessRefused      = 403
	NotFound           = 404
	ResourceLocked     = 405
	PreconditionFailed = 406
	FrameError         = 501
	SyntaxError        = 502
	CommandInvalid     = 503
	ChannelError       = 504
	UnexpectedFrame    = 505
	ResourceError      = 506
	NotAllowed         = 530
	NotImplemented     = 540
	InternalError      = 541
)

// CodeName is RabbitMQ's name for a reply code ("NOT_FOUND"), the word that
// starts its reply texts; "" for a code the specification does not define.
func CodeName(code uint16) string {
	switch code {
	case ReplySuccess:
		return "OK"
	case ContentTooLarge:
		return "CONTENT_TOO_LARGE"
	case NoRoute:
		return "NO_ROUTE"
	case NoConsumers:
		return "NO_CONSUMERS"
	case ConnectionForced:
		return "CONNECTION_FORCED"
	case InvalidPath:
		return "INVALID_PATH"
	case AccessRefused:
		return "ACCESS_REFUSED"
	case NotFound:
		return "NOT_FOUND"
	case ResourceLocked:
		return "RESOURCE_LOCKED"
	case PreconditionFailed:
		return "PRECONDITION_FAILED"
	case FrameError:
		return "FRAME_ERROR"
	case SyntaxError:
		return "SYNTAX_ERROR"
	case CommandInvalid:
		return "COMMAND_INVALID"
	case ChannelError:
		return "CHANNEL_ERROR"
	case UnexpectedFrame:
		return "UNEXPECTED_FRAME"
	case ResourceError:
		return "RESOURCE_ERROR"
	case NotAllowed:
		return "NOT_ALLOWED"
	case NotImplemented:
		return "NOT_IMPLEMENTED"
	case InternalError:
		return "INTERNAL_ERROR"
	}
	return ""
}

// IsHardError reports whether code closes the whole connection rather than
// just the channel.
func IsHardError(code uint16) bool {
	switch code {
	case ContentTooLarge, NoRoute, NoConsumers, AccessRefused, NotFound, ResourceLocked, PreconditionFailed:
		return false
	}
	return true
}

// Error is an AMQP protocol error: the reply code and reply text a broker
// sends in connection.close or channel.close. Text is in RabbitMQ's style,
// code name first: "FRAME_ERROR - frame size 200000 exceeds frame_max 131072".
type Error struct {
	Code uint16
	Text string
	// ClassID and MethodID name the method that could not be decoded,
	// when there is one (ParseMethod sets them): the class-id and
	// method-id a connection.close reports. Zero otherwise.
	ClassID, MethodID uint16
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s", e.Code, e.Text) }

// Errorf returns an *Error whose Text is the code's name, " - " and the
// formatted explanation, as RabbitMQ writes its reply texts.
func Errorf(code uint16, format string, a ...any) *Error {
	return &Error{Code: code, Text: CodeName(code) + " - " + fmt.Sprintf(format, a...)}
}
