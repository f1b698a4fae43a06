package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// A segment file starts with segMagic; then records follow, each
//
//	length u32 (of the body) | crc u32 (CRC-32C of the body) | body
//
// and the body starts with its kind:
//
//	recPublish: id u64 | n u16 | n queue ids u64 | payload
//	recAck:     n u32 | n pairs of queue id u64, message id u64
//	recMark:    queue id u64 | delivered-through message id u64
const (
	segMagic      = "WRNSEG1\n"
	recHeaderSize = 8
	// maxRecord bounds a record's length so that a corrupt length is not
	// taken for a huge allocation: a payload is at most the broker's
	// 16 MiB message plus its properties, well under this.
	maxRecord = 64 << 20
)

const (
	recPublish byte = 1
	recAck     byte = 2
	recMark    byte = 3
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ref names one message in one queue.
type ref struct{ queue, id uint64 }

// appendRecord appends a record whose body is kind followed by what fill
// appends.
func appendRecord(dst []byte, kind byte, fill func([]byte) []byte) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0, 0, 0, 0, 0, kind)
	dst = fill(dst)
	body := dst[start+recHeaderSize:]
	binary.BigEndian.PutUint32(dst[start:], uint32(len(body)))
	binary.BigEndian.PutUint32(dst[start+4:], crc32.Checksum(body, crcTable))
	return dst
}

func appendPublish(dst []byte, id uint64, queues []uint64, payload []byte) []byte {
	return appendRecord(dst, recPublish, func(b []byte) []byte {
		b = binary.BigEndian.AppendUint64(b, id)
		b = binary.BigEndian.AppendUint16(b, uint16(len(queues)))
		for _, q := range queues {
			b = binary.BigEndian.AppendUint64(b, q)
		}
		return append(b, payload...)
	})
}

func appendAcks(dst []byte, refs []ref) []byte {
	return appendRecord(dst, recAck, func(b []byte) []byte {
		b = binary.BigEndian.AppendUint32(b, uint32(len(refs)))
		for _, r := range refs {
			b = binary.BigEndian.AppendUint64(b, r.queue)
			b = binary.BigEndian.AppendUint64(b, r.id)
		}
		return b
	})
}

func appendMark(dst []byte, queue, id uint64) []byte {
	return appendRecord(dst, recMark, func(b []byte) []byte {
		b = binary.BigEndian.AppendUint64(b, queue)
		return binary.BigEndian.AppendUint64(b, id)
	})
}

// errTorn is a record cut short or failing its checksum: the end of what
// was written before a crash, or corruption.
var errTorn = errors.New("torn or corrupt record")

// nextRecord splits the record at the start of b: its body and the bytes
// after it.
func nextRecord(b []byte) (body, rest []byte, err error) {
	if len(b) < recHeaderSize {
		return nil, nil, errTorn
	}
	n := binary.BigEndian.Uint32(b)
	sum := binary.BigEndian.Uint32(b[4:])
	if n == 0 || n > maxRecord || uint64(len(b)-recHeaderSize) < uint64(n) {
		return nil, nil, errTorn
	}
	body = b[recHeaderSize : recHeaderSize+n]
	if crc32.Checksum(body, crcTable) != sum {
		return nil, nil, errTorn
	}
	return body, b[recHeaderSize+n:], nil
}

// publishRecord is a decoded recPublish body. payload aliases the body.
type publishRecord struct {
	id      uint64
	queues  []uint64
	payload []byte
}

func parsePublish(body []byte) (publishRecord, error) {
	var p publishRecord
	if len(body) < 1+8+2 {
		return p, fmt.Errorf("publish record of %d bytes is too short", len(body))
	}
	p.id = binary.BigEndian.Uint64(body[1:])
	n := int(binary.BigEndian.Uint16(body[9:]))
	rest := body[11:]
	if len(rest) < 8*n {
		return p, fmt.Errorf("publish record names %d queues in %d bytes", n, len(rest))
	}
	p.queues = make([]uint64, n)
	for i := range p.queues {
		p.queues[i] = binary.BigEndian.Uint64(rest[8*i:])
	}
	p.payload = rest[8*n:]
	return p, nil
}

func parseAcks(body []byte, each func(ref)) error {
	if len(body) < 5 {
		return fmt.Errorf("ack record of %d bytes is too short", len(body))
	}
	n := binary.BigEndian.Uint32(body[1:])
	rest := body[5:]
	if uint64(len(rest)) != 16*uint64(n) {
		return fmt.Errorf("ack record names %d acks in %d bytes", n, len(rest))
	}
	for i := uint32(0); i < n; i++ {
		each(ref{queue: binary.BigEndian.Uint64(rest[16*i:]), id: binary.BigEndian.Uint64(rest[16*i+8:])})
	}
	return nil
}

func parseMark(body []byte) (queue, id uint64, err error) {
	if len(body) != 17 {
		return 0, 0, fmt.Errorf("delivery mark of %d bytes, want 17", len(body))
	}
	return binary.BigEndian.Uint64(body[1:]), binary.BigEndian.Uint64(body[9:]), nil
}
