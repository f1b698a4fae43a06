package difftest

import (
	"testing"
	"time"

	"github.com/warrenmq/warren/internal/testbrokers"
	"github.com/warrenmq/warren/sandbox/routing"
)

// startEmbedded starts Warren's embedded broker as Warren does (an
// ephemeral loopback port, stopped when the test ends) and returns its
// URL and announced version.
func startEmbedded(t *testing.T) (url, version string) {
	t.Helper()
	url = testbrokers.Embedded(t).URL
	o, err := Dial(url)
	if err != nil {
		t.Fatalf("embedded broker: %v", err)
	}
	defer o.Close()
	return url, o.Version()
}

// TestEmbeddedAgreesWithModel holds the embedded broker to the routing
// model at the version the broker announces: per queue, in order, and
// the returns. It needs no RabbitMQ, and the embedded broker is fast, so it
// searches five times the seeds.
func TestEmbeddedAgreesWithModel(t *testing.T) {
	url, version := startEmbedded(t)
	model := routing.Model{Version: version}
	start := time.Now()
	cases := generateAll(5*seeds, NewPrefix())
	observed, err := ObserveCases(url, cases, 1)
	if err != nil {
		t.Fatalf("embedded broker: %v", err)
	}
	var msgs, failed int
	for n, c := range cases {
		want, err := Predict(model, c)
		if err != nil {
			t.Fatalf("seed %d: %v\n%s", c.Seed, err, Describe(model, c))
		}
		if d := Diff("model", want, "embedded "+version, observed[n]); d != "" {
			failed++
			t.Errorf("seed %d: the model and the embedded broker disagree:\n%s%s", c.Seed, d, Describe(model, c))
			if failed >= 3 {
				t.Fatal("stopping after 3 disagreeing cases")
			}
		}
		msgs += len(c.Messages)
	}
	t.Logf("embedded %s: %d cases, %d messages agree with the model, in %s",
		version, len(cases), msgs, time.Since(start).Round(time.Millisecond))
}

// TestEmbeddedAgreesWithRabbitMQ runs the same seeds on the embedded broker
// and the live RabbitMQ and compares what each queue received, in order,
// and what was returned. Where the model says the two versions route a
// case differently (1 == 1.0 before RabbitMQ 3.13), each broker is held to
// its own version's model instead.
func TestEmbeddedAgreesWithRabbitMQ(t *testing.T) {
	rabbit := dialRabbitMQ(t)
	embURL, embVersion := startEmbedded(t)
	rabbitModel := routing.Model{Version: rabbit.Version()}
	embModel := routing.Model{Version: embVersion}
	start := time.Now()
	cases := generateAll(seeds, NewPrefix())
	fromRabbit, err := ObserveCases(rabbitURL(), cases, workers)
	if err != nil {
		t.Fatalf("RabbitMQ: %v", err)
	}
	fromEmb, err := ObserveCases(embURL, cases, 1)
	if err != nil {
		t.Fatalf("embedded broker: %v", err)
	}
	var compared, versionDiffers, failed int
	for n, c := range cases {
		wantRabbit, err1 := Predict(rabbitModel, c)
		wantEmb, err2 := Predict(embModel, c)
		if err1 != nil || err2 != nil {
			t.Fatalf("seed %d: model: %v %v", c.Seed, err1, err2)
		}
		var d string
		if Diff("", wantRabbit, "", wantEmb) == "" {
			compared++
			d = Diff("RabbitMQ "+rabbit.Version(), fromRabbit[n], "embedded "+embVersion, fromEmb[n])
		} else {
			versionDiffers++
			d = Diff("model "+rabbit.Version(), wantRabbit, "RabbitMQ", fromRabbit[n]) +
				Diff("model "+embVersion, wantEmb, "embedded", fromEmb[n])
		}
		if d != "" {
			failed++
			t.Errorf("seed %d: the brokers disagree:\n%s%s", c.Seed, d, Describe(embModel, c))
			if failed >= 3 {
				t.Fatal("stopping after 3 disagreeing cases")
			}
		}
	}
	t.Logf("RabbitMQ %s vs embedded %s: %d cases compared broker to broker, %d where the versions route differently held each to its own model, in %s",
		rabbit.Version(), embVersion, compared, versionDiffers, time.Since(start).Round(time.Millisecond))
}
