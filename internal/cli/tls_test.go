package cli

import (
	"regexp"
	"strings"
	"testing"

	"github.com/warrenmq/warren/internal/brokertest"
)

func TestBrokerServesAMQPSAndRunTrustsTheCAFile(t *testing.T) {
	certs := brokertest.TLSCerts(t)
	_, stdout := startBrokerCmd(t, nil, "--listen", "127.0.0.1:0", "--tls-cert", certs.CertFile, "--tls-key", certs.KeyFile, "--tls-port", "0")
	m := regexp.MustCompile(`amqps on (127\.0\.0\.1:\d+) \(amqps://guest:\*\*\*\*\*@`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no amqps line in:\n%s", stdout)
	}
	url := "amqps://guest:guest@" + m[1] + "/"
	out, stderr, code := warren(t, "run", "topic", "--url", url, "--ca-file", certs.CAFile)
	if code != 0 || !strings.Contains(out, "steps passed") {
		t.Errorf("warren run over amqps: exit %d\n%s%s", code, out, stderr)
	}
	_, stderr, code = warren(t, "run", "topic", "--url", url)
	if code != 1 || !strings.Contains(stderr, "certificate signed by unknown authority") {
		t.Errorf("without --ca-file: exit %d %s", code, stderr)
	}
}

func TestTLSFlagsBadInput(t *testing.T) {
	certs := brokertest.TLSCerts(t)
	dir := t.TempDir()
	notPEM := writeFile(t, dir, "ca.txt", "not a certificate\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"broker", "--listen", "127.0.0.1:0", "--tls-cert", certs.CertFile}, "amqps needs both --tls-cert and --tls-key"},
		{[]string{"broker", "--listen", "127.0.0.1:0", "--tls-port", "5999"}, "--tls-port needs --tls-cert and --tls-key"},
		{[]string{"broker", "--listen", "127.0.0.1:0", "--tls-cert", certs.CAFile, "--tls-key", certs.KeyFile}, "private key does not match public key"},
		{[]string{"broker", "--listen", "127.0.0.1:0", "--tls-cert", dir + "/none.pem", "--tls-key", certs.KeyFile}, "no such file"},
		{[]string{"run", "topic", "--url", "amqps://guest:guest@127.0.0.1:1/", "--ca-file", notPEM}, "no PEM certificate in it"},
		{[]string{"run", "topic", "--url", "amqps://guest:guest@127.0.0.1:1/", "--ca-file", dir + "/none.pem"}, "--ca-file: open"},
	} {
		_, stderr, code := warren(t, tc.args...)
		if code != exitBadInput || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}
