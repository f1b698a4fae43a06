package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/warrenmq/warren/sandbox/amqpuri"
)

// Target is a broker to measure.
type Target struct {
	Name string // "embedded", "rabbitmq"
	URL  string // a loopback amqp:// URL
}

// Scenario is one load shape.
type Scenario struct {
	Publishers int  `json:"publishers"`
	Consumers  int  `json:"consumers"`
	BodySize   int  `json:"body_size"`
	Confirms   bool `json:"confirms"`
	// Persistent publishes with delivery mode 2 to the durable queue: a
	// confirm then waits for the disk (the embedded broker needs a data
	// dir for that).
	Persistent bool `json:"persistent,omitempty"`
}

// Name is a short label, e.g. "4p/4c 1KiB confirms".
func (s Scenario) Name() string {
	size := fmt.Sprintf("%dB", s.BodySize)
	if s.BodySize >= 1024 && s.BodySize%1024 == 0 {
		size = fmt.Sprintf("%dKiB", s.BodySize/1024)
	}
	c := "no-confirms"
	if s.Confirms {
		c = "confirms"
	}
	name := fmt.Sprintf("%dp/%dc %s %s", s.Publishers, s.Consumers, size, c)
	if s.Persistent {
		name += " persistent"
	}
	return name
}

// DefaultScenarios are issue 3's: 1/1 and 4/4, 12-byte and 1 KiB bodies,
// with and without publisher confirms.
func DefaultScenarios() []Scenario {
	var ss []Scenario
	for _, pc := range []int{1, 4} {
		for _, size := range []int{12, 1024} {
			for _, confirms := range []bool{false, true} {
				ss = append(ss, Scenario{Publishers: pc, Consumers: pc, BodySize: size, Confirms: confirms})
			}
		}
	}
	// issue 11's: persistent messages, a durable queue, confirms
	for _, pc := range []int{1, 4} {
		ss = append(ss, Scenario{Publishers: pc, Consumers: pc, BodySize: 1024, Confirms: true, Persistent: true})
	}
	return ss
}

// Config is what Run measures and how.
type Config struct {
	Targets   []Target
	Scenarios []Scenario // DefaultScenarios when empty
	Duration  time.Duration
	// Prefetch is each consumer's basic.qos prefetch count (200).
	Prefetch int
	// Outstanding is how many unconfirmed publishes a confirming publisher
	// may have (192).
	Outstanding int
	// MaxBacklog bounds published-but-not-consumed messages: publishers
	// wait while the queue holds more (20000), so that neither broker is
	// measured filling its memory.
	MaxBacklog int64
	// MaxMessages ends a measurement early once publishers have sent this
	// many messages (5000000), a bound on the work whatever the duration.
	MaxMessages int64
	// Progress, when set, is told when each measurement starts.
	Progress func(s Scenario, target string)
}

// Result is one scenario measured on one target.
type Result struct {
	Scenario  Scenario      `json:"scenario"`
	Name      string        `json:"name"`
	Target    string        `json:"target"`
	Queue     string        `json:"queue"` // deleted at the end of the scenario
	Published int64         `json:"published"`
	Consumed  int64         `json:"consumed"`
	Nacked    int64         `json:"nacked,omitempty"`
	Elapsed   time.Duration `json:"elapsed_ns"`
	Rate      float64       `json:"consumed_per_second"`
	P50       time.Duration `json:"p50_ns"`
	P99       time.Duration `json:"p99_ns"`
	Err       string        `json:"error,omitempty"`
}

func (c *Config) defaults() {
	if len(c.Scenarios) == 0 {
		c.Scenarios = DefaultScenarios()
	}
	if c.Duration <= 0 {
		c.Duration = 5 * time.Second
	}
	if c.Prefetch <= 0 {
		c.Prefetch = 200
	}
	if c.Outstanding <= 0 {
		c.Outstanding = 192
	}
	if c.MaxMessages <= 0 {
		c.MaxMessages = 5000000
	}
	if c.MaxBacklog <= 0 {
		c.MaxBacklog = 20000
	}
}

// Run measures every scenario on every target, scenario by scenario, the
// targets back to back, and returns the results in that order. A target
// that fails a scenario gets a Result with Err and the run goes on; Run
// itself fails only for a bad Config or a cancelled ctx.
func Run(ctx context.Context, cfg Config) ([]Result, error) {
	cfg.defaults()
	if len(cfg.Targets) == 0 {
		return nil, errors.New("bench: no target to measure")
	}
	for _, t := range cfg.Targets {
		if err := CheckLoopback(t.URL); err != nil {
			return nil, fmt.Errorf("bench: target %s: %w", t.Name, err)
		}
	}
	var results []Result
	for _, s := range cfg.Scenarios {
		if s.Publishers < 1 || s.Consumers < 1 || s.BodySize < 0 {
			return nil, fmt.Errorf("bench: scenario %s needs at least one publisher and one consumer", s.Name())
		}
		for _, t := range cfg.Targets {
			if err := ctx.Err(); err != nil {
				return results, err
			}
			if cfg.Progress != nil {
				cfg.Progress(s, t.Name)
			}
			r := runOne(ctx, cfg, s, t)
			if err := ctx.Err(); err != nil {
				return results, err // a cut-short measurement would mislead
			}
			results = append(results, r)
		}
	}
	return results, ctx.Err()
}

// CheckLoopback refuses a URL whose host is not this machine: a benchmark
// is a flood, and must never be pointed at a shared broker by accident.
func CheckLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse's message quotes the URL, password and all.
		return fmt.Errorf("bad URL %s: %s", amqpuri.Mask(raw), amqpuri.MaskIn(err.Error(), raw))
	}
	if u.Scheme != "amqp" {
		return fmt.Errorf("URL %q: only amqp:// on loopback is benchmarked", amqpuri.Mask(raw))
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("URL %s is not a loopback address: bench only loads brokers on 127.0.0.1/::1/localhost", amqpuri.Mask(raw))
	}
	return nil
}

func uniqueQueue(s Scenario) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("warren-bench-%dp%dc-%d-%v-%s", s.Publishers, s.Consumers, s.BodySize, s.Confirms, hex.EncodeToString(b[:]))
}

// Ping connects to url and disconnects, so that a command can refuse to
// start a long run against a broker that is not there.
func Ping(url string) error {
	conn, err := amqp.DialConfig(url, amqp.Config{Dial: amqp.DefaultDial(5 * time.Second)})
	if err != nil {
		return err
	}
	return conn.Close()
}
