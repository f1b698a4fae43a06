package broker

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
)

// amqps: with Options.TLS the broker also listens on Options.TLSListen
// and speaks AMQP inside TLS there, as RabbitMQ does on 5671. The TLS
// handshake runs within the AMQP handshake's timeout (the first read of
// a connection performs it).

// defaultTLSListen is RabbitMQ's amqps port on loopback.
const defaultTLSListen = "127.0.0.1:5671"

// startTLS opens the amqps listener, when Options.TLS asks for one, and
// accepts on it. s.mu is held.
func (s *Server) startTLS() error {
	if s.opts.TLS == nil {
		return nil
	}
	addr := s.opts.TLSListen
	if addr == "" {
		addr = defaultTLSListen
	}
	cfg := s.opts.TLS.Clone()
	if len(cfg.Certificates) == 0 && cfg.GetCertificate == nil {
		return fmt.Errorf("broker: TLS needs a certificate (Options.TLS.Certificates)")
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("broker: listen for amqps on %s: %w", addr, err)
	}
	s.tlsLn = tls.NewListener(ln, cfg)
	s.wg.Add(1)
	go s.acceptLoop(s.tlsLn)
	s.log.Info("broker listening for amqps", "addr", ln.Addr().String())
	return nil
}

// TLSAddr is the address the amqps listener listens on (nil without TLS
// or before Start).
func (s *Server) TLSAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tlsLn == nil {
		return nil
	}
	return s.tlsLn.Addr()
}

// TLSURL is URL with amqps:// and the amqps listener's address ("" without
// TLS).
func (s *Server) TLSURL() string {
	a := s.TLSAddr()
	if a == nil {
		return ""
	}
	u, err := url.Parse(s.URL())
	if err != nil {
		return ""
	}
	u.Scheme, u.Host = "amqps", a.String()
	return u.String()
}
