package broker

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/warrenmq/warren/sandbox/broker/wire"
)

// A persistent message's payload in the store:
//
//	version u8 (1) | published unix nanoseconds u64 |
//	exchange (u8 length, bytes) | routing key (u8 length, bytes) |
//	content header (u32 length, the AMQP class-60 header frame payload) |
//	body
//
// The publish time lets a TTL count from the publish, not the restart.
const payloadVersion = 1

func encodePayload(m *message, published int64) ([]byte, error) {
	b := make([]byte, 0, 32+len(m.exchange)+len(m.routingKey)+len(m.body))
	b = append(b, payloadVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(published))
	b = append(b, byte(len(m.exchange)))
	b = append(b, m.exchange...)
	b = append(b, byte(len(m.routingKey)))
	b = append(b, m.routingKey...)
	lenAt := len(b)
	b = append(b, 0, 0, 0, 0)
	b, err := wire.EncodeContentHeader(b, 60, uint64(len(m.body)), &m.props)
	if err != nil {
		return nil, err
	}
	binary.BigEndian.PutUint32(b[lenAt:], uint32(len(b)-lenAt-4))
	return append(b, m.body...), nil
}

var errPayload = errors.New("persistent message is malformed")

func decodePayload(b []byte) (m *message, published int64, err error) {
	if len(b) < 1+8+1 || b[0] != payloadVersion {
		return nil, 0, fmt.Errorf("%w: unknown version or too short", errPayload)
	}
	published = int64(binary.BigEndian.Uint64(b[1:]))
	rest := b[9:]
	str := func() (string, bool) {
		if len(rest) < 1 || len(rest) < 1+int(rest[0]) {
			return "", false
		}
		s := string(rest[1 : 1+int(rest[0])])
		rest = rest[1+int(rest[0]):]
		return s, true
	}
	m = &message{}
	var ok1, ok2 bool
	m.exchange, ok1 = str()
	m.routingKey, ok2 = str()
	if !ok1 || !ok2 || len(rest) < 4 {
		return nil, 0, fmt.Errorf("%w: truncated names", errPayload)
	}
	n := binary.BigEndian.Uint32(rest)
	rest = rest[4:]
	if uint64(len(rest)) < uint64(n) {
		return nil, 0, fmt.Errorf("%w: truncated header", errPayload)
	}
	_, size, props, err := wire.ParseContentHeader(rest[:n])
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", errPayload, err)
	}
	body := rest[n:]
	if uint64(len(body)) != size {
		return nil, 0, fmt.Errorf("%w: body of %d bytes, header says %d", errPayload, len(body), size)
	}
	m.props = props
	m.body = body
	return m, published, nil
}
