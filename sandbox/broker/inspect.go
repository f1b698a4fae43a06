package broker

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"time"

	"github.com/warrenmq/warren/sandbox/routing"
)

// What the management API and `warren ctl` show: snapshots of the
// broker's connections, channels, consumers, exchanges, queues and
// bindings, named as RabbitMQ names them ("127.0.0.1:54321 ->
// 127.0.0.1:5672" for a connection, that and " (1)" for its channel 1).
// Each is taken under the locks of what it reads, one entity at a time:
// a list is consistent per entry, not across entries, as RabbitMQ's are.

// ConnectionInfo is an open connection.
type ConnectionInfo struct {
	Name             string // "peer_host:peer_port -> host:port"
	User, VHost      string
	PeerHost, Host   string
	PeerPort, Port   int
	ClientProperties routing.Table
	AuthMechanism    string
	Channels         int
	ConnectedAt      time.Time
	FrameMax         uint32
	ChannelMax       uint16
	Heartbeat        int // seconds; 0 none
	TLS              bool
}

// ChannelInfo is an open channel.
type ChannelInfo struct {
	Name           string // the connection's name and " (number)"
	Number         uint16
	Connection     ConnectionInfo
	Consumers      int
	Unacked        int
	Prefetch       int // the prefetch new consumers get (basic.qos, global=false)
	GlobalPrefetch int
	Confirm        bool
	Transactional  bool
}

// ConsumerInfo is a basic.consume subscription.
type ConsumerInfo struct {
	Tag         string
	Queue       string
	VHost       string
	Channel     ChannelInfo
	AckRequired bool
	Exclusive   bool
	Prefetch    int
	Priority    int64
	Active      bool
}

// ExchangeInfo is an exchange.
type ExchangeInfo struct {
	Name, VHost, Type             string
	Durable, AutoDelete, Internal bool
	Arguments                     routing.Table
}

// QueueInfo is a queue and its counts.
type QueueInfo struct {
	Name, VHost              string
	Type                     string // classic, quorum or stream
	Durable, AutoDelete      bool
	Exclusive                bool
	ExclusiveOwner           string // the owning connection's name
	Arguments                routing.Table
	Ready, Unacked           int
	ReadyBytes, UnackedBytes int64
	Consumers                int
	ExclusiveConsumerTag     string
	SingleActiveConsumerTag  string
	ConsumerDetails          []ConsumerInfo
}

// Messages is ready plus unacknowledged, as RabbitMQ counts "messages".
func (q QueueInfo) Messages() int { return q.Ready + q.Unacked }

// BindingInfo is a binding, the default exchange's implicit ones
// included (source "", routing key the queue's name), as RabbitMQ lists
// them.
type BindingInfo struct {
	Source, VHost, Destination string
	DestinationType            string // queue or exchange
	RoutingKey                 string
	Arguments                  routing.Table
}

// PropertiesKey is how the management API names a binding among those
// between the same source and destination: the routing key, and "~" and
// a hash of the arguments when there are any (RabbitMQ's
// properties_key; the hash is Warren's own, stable for equal arguments).
func (b BindingInfo) PropertiesKey() string {
	if b.RoutingKey == "" && len(b.Arguments) == 0 {
		return "~"
	}
	k := escapeKey(b.RoutingKey)
	if len(b.Arguments) > 0 {
		k += "~" + argsHash(b.Arguments)
	}
	return k
}

// escapeKey writes the routing key as RabbitMQ's properties_key does:
// letters, digits, '-', '_' and '.' as they are, a space as '+', every
// other byte as %XX.
func escapeKey(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
			out = append(out, c)
		case c == ' ':
			out = append(out, '+')
		default:
			out = append(out, '%', "0123456789ABCDEF"[c>>4], "0123456789ABCDEF"[c&15])
		}
	}
	return string(out)
}

func argsHash(t routing.Table) string {
	// FNV-1a of the canonical form: short, URL-safe, equal for equal tables
	var h uint32 = 2166136261
	for _, c := range []byte(tableKey(t)) {
		h ^= uint32(c)
		h *= 16777619
	}
	return strconv.FormatUint(uint64(h), 36)
}

func (c *conn) info(o *openedConn) ConnectionInfo {
	ci := ConnectionInfo{User: o.user, VHost: o.vhost.name, ClientProperties: o.clientProps, AuthMechanism: o.mechanism,
		ConnectedAt: o.at, FrameMax: o.frameMax, ChannelMax: o.channelMax, Heartbeat: o.heartbeat, TLS: o.tls}
	ci.PeerHost, ci.PeerPort = splitAddr(c.nc.RemoteAddr())
	ci.Host, ci.Port = splitAddr(c.nc.LocalAddr())
	ci.Name = connName(c.nc)
	c.mu.Lock()
	ci.Channels = len(c.channels)
	c.mu.Unlock()
	return ci
}

func connName(nc net.Conn) string {
	return fmt.Sprintf("%s -> %s", nc.RemoteAddr(), nc.LocalAddr())
}

func splitAddr(a net.Addr) (string, int) {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String(), ta.Port
	}
	h, p, _ := net.SplitHostPort(a.String())
	n, _ := strconv.Atoi(p)
	return h, n
}

// openConns are the connections that have opened a vhost, by name.
func (s *Server) openConns() []*conn {
	var out []*conn
	for _, c := range s.connList() {
		if c.opened.Load() != nil {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// Connections lists the open connections (those past connection.open).
func (s *Server) Connections() []ConnectionInfo {
	var out []ConnectionInfo
	for _, c := range s.openConns() {
		out = append(out, c.info(c.opened.Load()))
	}
	return out
}

// CloseConnection closes the connection of that name as the management
// API's DELETE /api/connections/{name} does: 320 CONNECTION_FORCED and
// the reason ("Closed via management plugin" when reason is "").
func (s *Server) CloseConnection(name, reason string) error {
	if reason == "" {
		reason = "Closed via management plugin"
	}
	for _, c := range s.openConns() {
		if connName(c.nc) == name {
			c.forceClose(320, "CONNECTION_FORCED - "+reason)
			return nil
		}
	}
	return fmt.Errorf("%w: no connection '%s'", ErrNotFound, name)
}

func (c *conn) channelList() []*channel {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*channel, 0, len(c.channels))
	for _, ch := range c.channels {
		out = append(out, ch)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// channelState is the part of a channel's reader-owned state that is
// shown to other goroutines.
type channelState struct {
	prefetch    int
	confirm, tx bool
}

// publishState copies the reader's prefetch, confirm and tx flags for
// the management API. Run by the reader when they change.
func (ch *channel) publishState() {
	ch.state.Store(&channelState{prefetch: int(ch.prefetch), confirm: ch.confirm, tx: ch.tx})
}

func (ch *channel) info(ci ConnectionInfo) ChannelInfo {
	info := ChannelInfo{Name: fmt.Sprintf("%s (%d)", ci.Name, ch.id), Number: ch.id, Connection: ci,
		GlobalPrefetch: int(ch.globalPrefetch.Load()), Unacked: int(ch.unackedTotal.Load())}
	ch.mu.Lock()
	info.Consumers = len(ch.consumers)
	if ch.reply != nil {
		info.Consumers++
	}
	ch.mu.Unlock()
	st := ch.state.Load()
	if st != nil {
		info.Prefetch, info.Confirm, info.Transactional = st.prefetch, st.confirm, st.tx
	}
	return info
}

// Channels lists the open channels.
func (s *Server) Channels() []ChannelInfo {
	var out []ChannelInfo
	for _, c := range s.openConns() {
		ci := c.info(c.opened.Load())
		for _, ch := range c.channelList() {
			out = append(out, ch.info(ci))
		}
	}
	return out
}

// Consumers lists the consumers of every queue in vhost ("" for all).
func (s *Server) Consumers(vhost string) []ConsumerInfo {
	var out []ConsumerInfo
	for _, c := range s.openConns() {
		o := c.opened.Load()
		if vhost != "" && o.vhost.name != vhost {
			continue
		}
		ci := c.info(o)
		for _, ch := range c.channelList() {
			chi := ch.info(ci)
			ch.mu.Lock()
			for _, cons := range ch.consumers {
				out = append(out, ConsumerInfo{Tag: cons.tag, Queue: cons.q.name, VHost: o.vhost.name, Channel: chi,
					AckRequired: !cons.noAck, Exclusive: cons.exclusive, Prefetch: int(cons.prefetch), Priority: cons.priority,
					Active: cons.active.Load()})
			}
			ch.mu.Unlock()
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Queue != out[j].Queue {
			return out[i].Queue < out[j].Queue
		}
		return out[i].Tag < out[j].Tag
	})
	return out
}

// vhostsFor returns the vhost named (ErrNotFound when it does not
// exist), or every vhost for "".
func (s *Server) vhostsFor(name string) ([]*vhost, error) {
	st := s.access.Load()
	if name != "" {
		v := st.vhosts[name]
		if v == nil {
			return nil, fmt.Errorf("%w: no vhost '%s'", ErrNotFound, name)
		}
		return []*vhost{v}, nil
	}
	var out []*vhost
	for _, n := range s.VHostNames() {
		out = append(out, st.vhosts[n])
	}
	return out, nil
}

// Exchanges lists the exchanges of vhost ("" for all), the default and
// amq.* ones included, by vhost then name.
func (s *Server) Exchanges(vhost string) ([]ExchangeInfo, error) {
	vs, err := s.vhostsFor(vhost)
	if err != nil {
		return nil, err
	}
	var out []ExchangeInfo
	for _, v := range vs {
		v.mu.RLock()
		for _, x := range v.exchanges {
			out = append(out, exchangeInfo(v, x))
		}
		v.mu.RUnlock()
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].VHost != out[j].VHost {
			return out[i].VHost < out[j].VHost
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

func exchangeInfo(v *vhost, x *exchange) ExchangeInfo {
	return ExchangeInfo{Name: x.name, VHost: v.name, Type: x.kind, Durable: x.durable, AutoDelete: x.autoDelete,
		Internal: x.internal, Arguments: x.args}
}

// Exchange returns one exchange.
func (s *Server) Exchange(vhost, name string) (ExchangeInfo, error) {
	vs, err := s.vhostsFor(vhost)
	if err != nil {
		return ExchangeInfo{}, err
	}
	v := vs[0]
	v.mu.RLock()
	defer v.mu.RUnlock()
	x := v.exchanges[name]
	if x == nil {
		return ExchangeInfo{}, fmt.Errorf("%w: no exchange '%s' in vhost '%s'", ErrNotFound, name, vhost)
	}
	return exchangeInfo(v, x), nil
}

// unackedStats counts, per queue, the deliveries not yet acknowledged
// on every channel.
func (s *Server) unackedStats() map[*queue][2]int64 {
	out := map[*queue][2]int64{}
	for _, c := range s.connList() {
		for _, ch := range c.channelList() {
			ch.mu.Lock()
			for _, p := range ch.unacked {
				if p != nil && !p.done {
					st := out[p.q]
					st[0]++
					st[1] += int64(len(p.e.msg.body))
					out[p.q] = st
				}
			}
			ch.mu.Unlock()
		}
	}
	return out
}

// Queues lists the queues of vhost ("" for all), by vhost then name.
func (s *Server) Queues(vhost string) ([]QueueInfo, error) {
	vs, err := s.vhostsFor(vhost)
	if err != nil {
		return nil, err
	}
	unacked := s.unackedStats()
	var out []QueueInfo
	for _, v := range vs {
		v.mu.RLock()
		qs := make([]*queue, 0, len(v.queues))
		for _, q := range v.queues {
			qs = append(qs, q)
		}
		v.mu.RUnlock()
		for _, q := range qs {
			out = append(out, q.info(unacked[q]))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].VHost != out[j].VHost {
			return out[i].VHost < out[j].VHost
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// Queue returns one queue, with its consumers.
func (s *Server) Queue(vhost, name string) (QueueInfo, error) {
	vs, err := s.vhostsFor(vhost)
	if err != nil {
		return QueueInfo{}, err
	}
	v := vs[0]
	v.mu.RLock()
	q := v.queues[name]
	v.mu.RUnlock()
	if q == nil {
		return QueueInfo{}, fmt.Errorf("%w: no queue '%s' in vhost '%s'", ErrNotFound, name, vhost)
	}
	qi := q.info(s.unackedStats()[q])
	for _, c := range s.Consumers(vhost) {
		if c.Queue == name {
			qi.ConsumerDetails = append(qi.ConsumerDetails, c)
		}
	}
	return qi, nil
}

func (q *queue) info(unacked [2]int64) QueueInfo {
	qi := QueueInfo{Name: q.name, VHost: q.v.name, Type: q.qa.kind, Durable: q.durable, AutoDelete: q.autoDelete,
		Exclusive: q.exclusive, Arguments: q.args, Unacked: int(unacked[0]), UnackedBytes: unacked[1]}
	if qi.Type == "" {
		qi.Type = "classic"
	}
	if q.exclusive && q.owner != nil {
		qi.ExclusiveOwner = connName(q.owner.nc)
	}
	ready, cons := q.counts()
	qi.Ready, qi.Consumers = ready, cons
	q.mu.Lock()
	qi.ReadyBytes = q.readyBytes
	if q.exclusiveConsumer && len(q.consumers) > 0 {
		qi.ExclusiveConsumerTag = q.consumers[0].tag
	}
	q.mu.Unlock()
	return qi
}

// Bindings lists the bindings of vhost ("" for all): first each queue's
// implicit binding from the default exchange, then the others by source,
// as RabbitMQ lists them.
func (s *Server) Bindings(vhost string) ([]BindingInfo, error) {
	vs, err := s.vhostsFor(vhost)
	if err != nil {
		return nil, err
	}
	var out []BindingInfo
	for _, v := range vs {
		v.mu.RLock()
		var implicit, explicit []BindingInfo
		for _, q := range v.queues {
			implicit = append(implicit, BindingInfo{Source: "", VHost: v.name, Destination: q.name, DestinationType: "queue", RoutingKey: q.name})
		}
		for _, x := range v.exchanges {
			for _, b := range x.bindings {
				dt := "queue"
				if b.toExchange {
					dt = "exchange"
				}
				explicit = append(explicit, BindingInfo{Source: b.source, VHost: v.name, Destination: b.dest, DestinationType: dt,
					RoutingKey: b.key, Arguments: b.args})
			}
		}
		v.mu.RUnlock()
		sort.Slice(implicit, func(i, j int) bool { return implicit[i].Destination < implicit[j].Destination })
		sort.Slice(explicit, func(i, j int) bool {
			a, b := explicit[i], explicit[j]
			if a.Source != b.Source {
				return a.Source < b.Source
			}
			if a.DestinationType != b.DestinationType {
				return a.DestinationType > b.DestinationType // queues before exchanges
			}
			if a.Destination != b.Destination {
				return a.Destination < b.Destination
			}
			if a.RoutingKey != b.RoutingKey {
				return a.RoutingKey < b.RoutingKey
			}
			return tableKey(a.Arguments) < tableKey(b.Arguments)
		})
		out = append(out, implicit...)
		out = append(out, explicit...)
	}
	return out, nil
}

// Totals are the counts GET /api/overview sums up.
type Totals struct {
	Connections, Channels, Consumers, Exchanges, Queues int
	Ready, Unacked                                      int
}

// Totals counts what the broker holds.
func (s *Server) Totals() Totals {
	var t Totals
	for _, c := range s.openConns() {
		t.Connections++
		for _, ch := range c.channelList() {
			t.Channels++
			ch.mu.Lock()
			t.Consumers += len(ch.consumers)
			ch.mu.Unlock()
		}
	}
	qs, _ := s.Queues("")
	for _, q := range qs {
		t.Queues++
		t.Ready += q.Ready
		t.Unacked += q.Unacked
	}
	xs, _ := s.Exchanges("")
	t.Exchanges = len(xs)
	return t
}
