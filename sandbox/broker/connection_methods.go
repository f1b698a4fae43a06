package broker

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/warrenmq/warren/sandbox/broker/wire"
	"github.com/warrenmq/warren/sandbox/definitions"
	"github.com/warrenmq/warren/sandbox/routing"
)

// handshakeTimeout bounds the time from accept to connection.open
// (RabbitMQ's handshake_timeout).
const handshakeTimeout = 10 * time.Second

var errHandshake = errors.New("handshake failed")

func (c *conn) serverProperties() routing.Table {
	return routing.Table{
		"product":      Product,
		"version":      c.s.version(),
		"platform":     "Go",
		"copyright":    "Warren: an embedded broker for learning AMQP 0-9-1",
		"information":  "In-memory; follows RabbitMQ 4.x semantics",
		"cluster_name": "warren@" + c.nc.LocalAddr().String(),
		"capabilities": routing.Table{
			"publisher_confirms":           true,
			"exchange_exchange_bindings":   true,
			"basic.nack":                   true,
			"consumer_cancel_notify":       true,
			"connection.blocked":           true,
			"authentication_failure_close": true,
			"per_consumer_qos":             true,
			"consumer_priorities":          true,
		},
	}
}

// handshake runs protocol header, start, tune and open.
func (c *conn) handshake(br *bufio.Reader) error {
	c.setReadDeadline(time.Now().Add(handshakeTimeout))
	var hdr [8]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return err
	}
	if string(hdr[:]) != wire.ProtocolHeader {
		// the spec: answer with the protocol we speak, then close
		c.nc.SetWriteDeadline(time.Now().Add(time.Second))
		c.nc.Write([]byte(wire.ProtocolHeader))
		return fmt.Errorf("client sent protocol header %q: not AMQP 0-9-1", hdr[:])
	}
	c.r = wire.NewReader(br, frameMax)
	c.sendMethod(0, &wire.ConnectionStart{VersionMajor: 0, VersionMinor: 9, ServerProperties: c.serverProperties(),
		Mechanisms: "PLAIN AMQPLAIN", Locales: "en_US"})

	m, err := c.readHandshakeMethod()
	if err != nil {
		return err
	}
	so, ok := m.(*wire.ConnectionStartOk)
	if !ok {
		return c.handshakeError(wire.Errorf(wire.CommandInvalid, "expected 'connection.start_ok', got '%s'", m.Name()))
	}
	c.clientProps = so.ClientProperties
	if caps, ok := so.ClientProperties["capabilities"].(routing.Table); ok {
		c.capCancel, _ = caps["consumer_cancel_notify"].(bool)
		c.capBlocked, _ = caps["connection.blocked"].(bool)
	}
	user, pass, err := parseCredentials(so.Mechanism, so.Response)
	if err != nil {
		return c.handshakeError(wire.Errorf(wire.AccessRefused, "%v", err))
	}
	if why := c.refuse(user, pass); why != "" {
		c.s.log.Warn("login refused", "user", user, "remote", c.nc.RemoteAddr().String(), "why", why)
		e := wire.Errorf(wire.AccessRefused, "Login was refused using authentication mechanism %s. For details see the broker logfile.", so.Mechanism)
		if caps, ok := so.ClientProperties["capabilities"].(routing.Table); ok {
			if afc, _ := caps["authentication_failure_close"].(bool); afc {
				return c.handshakeError(e)
			}
		}
		return fmt.Errorf("%s", e.Text)
	}
	c.user = user

	c.sendMethod(0, &wire.ConnectionTune{ChannelMax: channelMax, FrameMax: frameMax, Heartbeat: serverHeartbeat})
	if m, err = c.readHandshakeMethod(); err != nil {
		return err
	}
	to, ok := m.(*wire.ConnectionTuneOk)
	if !ok {
		return c.handshakeError(wire.Errorf(wire.CommandInvalid, "expected 'connection.tune_ok', got '%s'", m.Name()))
	}
	if err := negotiated("frame_max", wire.FrameMinSize, frameMax, uint32(to.FrameMax)); err != nil {
		return c.handshakeError(err)
	}
	if err := negotiated("channel_max", 1, channelMax, uint32(to.ChannelMax)); err != nil {
		return c.handshakeError(err)
	}
	c.frameMax = to.FrameMax
	c.r.SetFrameMax(c.frameMax)
	c.channelMax = to.ChannelMax
	c.heartbeat.Store(int32(to.Heartbeat))

	if m, err = c.readHandshakeMethod(); err != nil {
		return err
	}
	op, ok := m.(*wire.ConnectionOpen)
	if !ok {
		return c.handshakeError(wire.Errorf(wire.CommandInvalid, "expected 'connection.open', got '%s'", m.Name()))
	}
	if err := c.openVHost(op.VirtualHost, so.Mechanism); err != nil {
		return c.handshakeError(err)
	}
	vh := c.vh
	c.sendMethod(0, &wire.ConnectionOpenOk{})
	c.setReadDeadline(time.Time{})
	c.s.log.Debug("connection opened", "conn", c.id, "remote", c.nc.RemoteAddr().String(), "user", user, "vhost", vh.name)
	return nil
}

// negotiated checks a limit the client chose in tune-ok as RabbitMQ's
// rabbit_reader does: below min, or 0 (no limit) or above the server's
// max while the server has one, is refused. RabbitMQ then closes the
// socket silently and logs these words; we also send them.
func negotiated(field string, min, max, client uint32) *wire.Error {
	switch {
	case client != 0 && client < min:
		return wire.Errorf(wire.NotAllowed, "negotiated %s = %d is lower than the minimum allowed value (%d)", field, client, min)
	case client == 0:
		return wire.Errorf(wire.NotAllowed, "negotiated %s = 0 (no limit) is higher than the maximum allowed value (%d)", field, max)
	case client > max:
		return wire.Errorf(wire.NotAllowed, "negotiated %s = %d is higher than the maximum allowed value (%d)", field, client, max)
	}
	return nil
}

// readHandshakeMethod reads the next method frame on channel 0, skipping
// heartbeats.
func (c *conn) readHandshakeMethod() (wire.Method, error) {
	for {
		f, err := c.r.ReadFrame()
		if err != nil {
			var we *wire.Error
			if errors.As(err, &we) {
				return nil, c.handshakeError(we)
			}
			return nil, err
		}
		if f.Type == wire.FrameHeartbeat {
			continue
		}
		if f.Type != wire.FrameMethod || f.Channel != 0 {
			return nil, c.handshakeError(wire.Errorf(wire.UnexpectedFrame, "expected a method frame on channel 0 during the handshake"))
		}
		m, err := wire.ParseMethod(f.Payload)
		if err != nil {
			var we *wire.Error
			if !errors.As(err, &we) {
				we = wire.Errorf(wire.FrameError, "%v", err)
			}
			return nil, c.handshakeError(we)
		}
		return m, nil
	}
}

// handshakeError sends connection.close and waits briefly for close-ok.
func (c *conn) handshakeError(e *wire.Error) error {
	c.closing.Store(true)
	c.sendMethod(0, &wire.ConnectionClose{ReplyCode: e.Code, ReplyText: e.Text})
	c.closeDeadline()
	if c.r != nil {
		for {
			f, err := c.r.ReadFrame()
			if err != nil {
				break
			}
			if f.Type == wire.FrameMethod && f.Channel == 0 {
				if m, err := wire.ParseMethod(f.Payload); err == nil {
					if _, ok := m.(*wire.ConnectionCloseOk); ok {
						break
					}
				}
			}
		}
	}
	return fmt.Errorf("%w: %s", errHandshake, e.Text)
}

// refuse says why a login is refused ("" when it is not). The client only
// ever hears RabbitMQ's generic refusal; the log says why.
func (c *conn) refuse(user, pass string) string {
	u, ok := c.s.LookupUser(user)
	switch {
	case !ok:
		return "no such user"
	case u.PasswordHash == "":
		return "the user has no password (no password login)"
	case !definitions.CheckPassword(u.PasswordHash, u.HashingAlgorithm, pass):
		return "wrong password"
	case user == "guest" && !isLoopback(c.nc.RemoteAddr()):
		return "guest may only connect from a loopback address (as in RabbitMQ): add a user with --user name:password"
	}
	return ""
}

func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// parseCredentials decodes a PLAIN ("\0user\0pass") or AMQPLAIN (a field
// table without its length: LOGIN and PASSWORD) response.
func parseCredentials(mechanism, response string) (user, pass string, err error) {
	switch mechanism {
	case "PLAIN":
		parts := strings.Split(response, "\x00")
		if len(parts) != 3 {
			return "", "", errors.New("malformed PLAIN response")
		}
		return parts[1], parts[2], nil
	case "AMQPLAIN":
		fields, err := parseShortTable([]byte(response))
		if err != nil {
			return "", "", err
		}
		return fields["LOGIN"], fields["PASSWORD"], nil
	}
	return "", "", fmt.Errorf("unsupported authentication mechanism '%s'", mechanism)
}

// parseShortTable reads the string fields of an AMQPLAIN response.
func parseShortTable(b []byte) (map[string]string, error) {
	out := map[string]string{}
	r := bytes.NewReader(b)
	for r.Len() > 0 {
		n, err := r.ReadByte()
		if err != nil {
			return nil, err
		}
		name := make([]byte, n)
		if _, err := io.ReadFull(r, name); err != nil {
			return nil, errors.New("malformed AMQPLAIN response")
		}
		t, err := r.ReadByte()
		if err != nil {
			return nil, errors.New("malformed AMQPLAIN response")
		}
		var size int
		switch t {
		case 'S':
			var l uint32
			if err := binary.Read(r, binary.BigEndian, &l); err != nil {
				return nil, errors.New("malformed AMQPLAIN response")
			}
			size = int(l)
		case 's':
			l, err := r.ReadByte()
			if err != nil {
				return nil, errors.New("malformed AMQPLAIN response")
			}
			size = int(l)
		default:
			return nil, fmt.Errorf("AMQPLAIN field '%s' has type '%c': expected a string", name, t)
		}
		if size > r.Len() {
			return nil, errors.New("malformed AMQPLAIN response")
		}
		val := make([]byte, size)
		io.ReadFull(r, val)
		out[string(name)] = string(val)
	}
	return out, nil
}

// handleConnectionMethod handles a method on channel 0 after the handshake.
func (c *conn) handleConnectionMethod(m wire.Method) (bool, error) {
	switch m := m.(type) {
	case *wire.ConnectionClose:
		// as RabbitMQ: release the channels and the exclusive queues,
		// then close-ok, then read and discard until the client closes
		// the socket (or a timeout): closing it at once would reset a
		// client still sending, and it would never see its close-ok
		c.closing.Store(true)
		c.releaseAll()
		c.sendMethod(0, &wire.ConnectionCloseOk{})
		c.drainUntilClosed()
		return true, nil
	case *wire.ConnectionUpdateSecret:
		// what RabbitMQ's internal auth backend does: nothing to check for
		// a password login, so the new secret is taken and the connection
		// goes on (clients refreshing an OAuth 2 token send this)
		c.sendMethod(0, &wire.ConnectionUpdateSecretOk{})
		return false, nil
	case *wire.ConnectionCloseOk:
		return true, nil
	case *wire.ConnectionBlocked, *wire.ConnectionUnblocked:
		return false, nil
	default:
		c.connectionError(wire.Errorf(wire.CommandInvalid, "unexpected method on channel 0: %s", m.Name()), m.ClassID(), m.MethodID())
		return false, nil
	}
}
