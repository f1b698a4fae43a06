package warrentest

import (
	"log/slog"
	"time"
)

// An Option configures a Server.
type Option func(*config)

type config struct {
	users      map[string]string
	userOrder  []string
	vhosts     []string
	version    string
	management bool
	dataDir    string
	persist    bool // a data directory of its own (WithPersistence)
	start      time.Time
	stopped    bool
	ackTimeout time.Duration
	logger     *slog.Logger
}

// WithUser adds a user (an administrator with every permission on every
// vhost, as the broker's users are by default). Without any, the user is
// guest:guest, as on RabbitMQ. URL logs in as the first user given.
func WithUser(name, password string) Option {
	return func(c *config) {
		if c.users == nil {
			c.users = map[string]string{}
		}
		if _, dup := c.users[name]; !dup {
			c.userOrder = append(c.userOrder, name)
		}
		c.users[name] = password
	}
}

// WithVHost adds a virtual host. Without any, there is "/". URL and the
// state methods of Server use the first one given.
func WithVHost(name string) Option {
	return func(c *config) { c.vhosts = append(c.vhosts, name) }
}

// WithVersion names the RabbitMQ version whose behaviour a test expects:
// "4.1" (the default; Warren's broker follows RabbitMQ 4.x) or "3.13".
// The broker itself always answers as 4.x does; the version picks the
// routing model CheckRoutedTo explains with (headers compare 1 and 1.0
// as equal before 3.13, for one) and what Version reports. See the
// README's "Supported / not supported" for the differences that exist.
func WithVersion(v string) Option { return func(c *config) { c.version = v } }

// WithManagement serves RabbitMQ's management HTTP API (the subset
// tools use) on an ephemeral loopback port: ManagementURL says where.
// Off by default.
func WithManagement() Option { return func(c *config) { c.management = true } }

// WithDataDir keeps durable exchanges, queues and bindings and the
// persistent messages of durable queues in dir, as `warren broker
// --data-dir` does, so that Restart brings them back exactly as a
// restarted RabbitMQ would. Publisher confirms of persistent messages
// then wait for the disk.
func WithDataDir(dir string) Option { return func(c *config) { c.dataDir = dir } }

// WithPersistence is WithDataDir with a directory of the test's own
// (t.TempDir() under RunT; a temporary directory Close removes under
// Run).
func WithPersistence() Option { return func(c *config) { c.persist = true } }

// WithTime starts the virtual clock at t (time.Now() by default).
func WithTime(t time.Time) Option { return func(c *config) { c.start = t } }

// WithStoppedClock stops the virtual clock: time moves only by
// FastForward and SetTime, so that "not yet expired" is exact. By
// default the clock runs with the wall clock and FastForward jumps it
// ahead.
func WithStoppedClock() Option { return func(c *config) { c.stopped = true } }

// WithConsumerTimeout sets RabbitMQ's consumer_timeout (30 minutes by
// default; negative: none). It runs on the virtual clock.
func WithConsumerTimeout(d time.Duration) Option { return func(c *config) { c.ackTimeout = d } }

// WithLogger gives the broker a logger (it logs nothing by default).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }
