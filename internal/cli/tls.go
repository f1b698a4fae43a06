package cli

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"strconv"

	"github.com/spf13/cobra"
)

// TLS on both sides: warren broker --tls-cert/--tls-key serves amqps, and
// --url amqps://... trusts the CA of --ca-file.

func addTLSClientFlags(root *cobra.Command) {
	root.PersistentFlags().String("ca-file", "", "for an amqps:// --url: the CA certificate (PEM) to verify the broker with, instead of the system's (default: $WARREN_CA_FILE)")
}

// clientTLS is the TLS configuration --ca-file asks for (nil: the
// system's roots).
func (e *env) clientTLS(cmd *cobra.Command) (*tls.Config, error) {
	file, _ := cmd.Flags().GetString("ca-file")
	if file == "" {
		file = e.getenv("WARREN_CA_FILE")
	}
	if file == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, badInput("--ca-file: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, badInput("--ca-file %s: no PEM certificate in it (want -----BEGIN CERTIFICATE-----)", file)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

func addTLSServerFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.String("tls-cert", "", "serve amqps too: the server's certificate (PEM, its chain after it)")
	f.String("tls-key", "", "the certificate's private key (PEM)")
	f.Int("tls-port", 5671, "the amqps port, on the host of --listen (0: any free port)")
}

// serverTLS reads --tls-cert and --tls-key: the configuration and the
// address to serve amqps on, or nil when TLS is not asked for.
func serverTLS(cmd *cobra.Command, listen string) (*tls.Config, string, error) {
	f := cmd.Flags()
	cert, _ := f.GetString("tls-cert")
	key, _ := f.GetString("tls-key")
	port, _ := f.GetInt("tls-port")
	switch {
	case cert == "" && key == "":
		if f.Changed("tls-port") {
			return nil, "", badInput("--tls-port needs --tls-cert and --tls-key")
		}
		return nil, "", nil
	case cert == "" || key == "":
		return nil, "", badInput("amqps needs both --tls-cert and --tls-key")
	case port < 0 || port > 65535:
		return nil, "", badInput("--tls-port %d: want 0-65535", port)
	}
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		return nil, "", badInput("--tls-cert %s, --tls-key %s: %v", cert, key, err)
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, "", badInput("--listen %q: want host:port, e.g. 127.0.0.1:5673", listen)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, net.JoinHostPort(host, strconv.Itoa(port)), nil
}
