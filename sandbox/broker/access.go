package broker

import (
	"crypto/tls"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/warrenmq/warren/sandbox/broker/wire"
	"github.com/warrenmq/warren/sandbox/definitions"
)

// The access model is RabbitMQ's internal one: users with a salted
// password hash and tags, vhosts, and per user and vhost three regular
// expressions (configure, write, read) matched against the names of the
// exchanges and queues an operation touches. A user with no permission
// on a vhost cannot open it (530 NOT_ALLOWED); an operation its
// permissions do not cover is 403 ACCESS_REFUSED on the channel.
//
// The state is an immutable snapshot behind an atomic pointer, so that
// publishing reads it without a lock; every change builds a new snapshot
// under Server.accessMu. The handshake opens a vhost under accessMu too,
// so that a vhost or user deleted meanwhile either refuses the
// connection or finds it to close.

// ErrNotFound is wrapped by the errors of the access API for a user,
// vhost or permission that does not exist.
var ErrNotFound = errors.New("not found")

// Tags that RabbitMQ gives a meaning to.
const (
	TagAdministrator = "administrator"
	TagMonitoring    = "monitoring"
	TagPolicymaker   = "policymaker"
	TagManagement    = "management"
	TagImpersonator  = "impersonator"
)

type accessState struct {
	users  map[string]*userEntry
	vhosts map[string]*vhost
	perms  map[permKey]*permEntry
}

type userEntry struct {
	def definitions.User // PasswordHash set, Password never
}

func (u *userEntry) hasTag(tag string) bool { return slices.Contains(u.def.Tags, tag) }

type permKey struct{ user, vhost string }

type permEntry struct {
	def                    definitions.Permission
	configure, write, read *regexp.Regexp // nil: ".*", which matches every name
}

// Access is what an operation needs on a resource.
type Access int

const (
	Configure Access = iota
	Write
	Read
)

func (a Access) String() string { return [...]string{"configure", "write", "read"}[a] }

func (p *permEntry) allows(a Access, name string) bool {
	re := [...]*regexp.Regexp{p.configure, p.write, p.read}[a]
	return re == nil || re.MatchString(name)
}

func (st *accessState) clone() *accessState {
	n := &accessState{users: make(map[string]*userEntry, len(st.users)), vhosts: make(map[string]*vhost, len(st.vhosts)),
		perms: make(map[permKey]*permEntry, len(st.perms))}
	for k, v := range st.users {
		n.users[k] = v
	}
	for k, v := range st.vhosts {
		n.vhosts[k] = v
	}
	for k, v := range st.perms {
		n.perms[k] = v
	}
	return n
}

func compilePermission(p definitions.Permission) (*permEntry, error) {
	e := &permEntry{def: p}
	for _, f := range []struct {
		dst **regexp.Regexp
		re  string
	}{{&e.configure, p.Configure}, {&e.write, p.Write}, {&e.read, p.Read}} {
		if f.re == ".*" {
			continue
		}
		re, err := definitions.CompilePermission(f.re)
		if err != nil {
			return nil, fmt.Errorf("permission of user %q on vhost %q: %q %v", p.User, p.VHost, f.re, err)
		}
		*f.dst = re
	}
	return e, nil
}

// change runs f on a copy of the access state and installs it. f may
// return connections to close (with code 320 and the text given) once
// the new state is in place.
func (s *Server) change(f func(st *accessState) (closeConns func(*openedConn) bool, why string, err error)) error {
	s.accessMu.Lock()
	defer s.accessMu.Unlock()
	st := s.access.Load().clone()
	match, why, err := f(st)
	if err != nil {
		return err
	}
	s.access.Store(st)
	s.persistAccess() // with --data-dir (persist_defs.go)
	if match == nil {
		return nil
	}
	for _, c := range s.connList() {
		if o := c.opened.Load(); o != nil && match(o) {
			c.forceClose(wire.ConnectionForced, "CONNECTION_FORCED - "+why)
		}
	}
	return nil
}

// openedConn is what a connection opened: who and where, and what it
// negotiated (for the management API).
type openedConn struct {
	user        string
	vhost       *vhost
	mechanism   string
	clientProps map[string]any
	at          time.Time
	frameMax    uint32
	channelMax  uint16
	heartbeat   int
	tls         bool
}

// PutVHost creates a vhost; one that exists is left as it is.
func (s *Server) PutVHost(name string) error {
	if name == "" {
		return errors.New("a vhost needs a name")
	}
	return s.change(func(st *accessState) (func(*openedConn) bool, string, error) {
		if st.vhosts[name] == nil {
			st.vhosts[name] = newVHost(s, name)
		}
		return nil, "", nil
	})
}

// DeleteVHost deletes a vhost with everything in it and the permissions
// on it; its connections are closed (320 CONNECTION_FORCED - vhost 'v'
// is deleted, as RabbitMQ says).
func (s *Server) DeleteVHost(name string) error {
	var gone *vhost
	err := s.change(func(st *accessState) (func(*openedConn) bool, string, error) {
		gone = st.vhosts[name]
		if gone == nil {
			return nil, "", fmt.Errorf("%w: no vhost '%s'", ErrNotFound, name)
		}
		delete(st.vhosts, name)
		for k := range st.perms {
			if k.vhost == name {
				delete(st.perms, k)
			}
		}
		return func(o *openedConn) bool { return o.vhost == gone }, fmt.Sprintf("vhost '%s' is deleted", name), nil
	})
	if err != nil {
		return err
	}
	gone.deleteAll()
	gone.stopTracing()
	return nil
}

// deleteAll deletes a deleted vhost's queues, so that their timers stop
// and their messages leave the memory account. Their consumers are not
// cancelled: their connections, all in this vhost, are being closed.
func (v *vhost) deleteAll() {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, q := range v.queues {
		v.deleteQueueLocked(q)
	}
}

// VHostNames lists the vhosts, sorted.
func (s *Server) VHostNames() []string {
	st := s.access.Load()
	names := make([]string, 0, len(st.vhosts))
	for n := range st.vhosts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (s *Server) lookupVHost(name string) *vhost { return s.access.Load().vhosts[name] }

// PutUser creates or replaces a user. A Password is hashed as RabbitMQ
// hashes it; a PasswordHash (with its HashingAlgorithm) is taken as it
// is, as a definitions import does. With neither, a new user has no
// password (no password login) and an existing one keeps its own.
// Replacing a user keeps its permissions and connections.
func (s *Server) PutUser(u definitions.User) error {
	if u.Name == "" {
		return errors.New("a user needs a name")
	}
	u.Tags = slices.Clone(u.Tags)
	if u.Tags == nil {
		u.Tags = definitions.Tags{}
	}
	switch {
	case u.Password != "":
		u.PasswordHash, u.HashingAlgorithm = definitions.HashPassword(u.Password), definitions.SHA256
	case u.PasswordHash != "":
		if u.HashingAlgorithm == "" {
			u.HashingAlgorithm = definitions.SHA256
		}
		if err := definitions.CheckHash(u.PasswordHash, u.HashingAlgorithm); err != nil {
			return fmt.Errorf("user %q: %w", u.Name, err)
		}
	}
	u.Password = ""
	return s.change(func(st *accessState) (func(*openedConn) bool, string, error) {
		if old := st.users[u.Name]; old != nil && u.PasswordHash == "" {
			u.PasswordHash, u.HashingAlgorithm = old.def.PasswordHash, old.def.HashingAlgorithm
		}
		if u.HashingAlgorithm == "" {
			u.HashingAlgorithm = definitions.SHA256
		}
		st.users[u.Name] = &userEntry{def: u}
		return nil, "", nil
	})
}

// DeleteUser deletes a user and its permissions; its connections are
// closed (320 CONNECTION_FORCED - user 'u' is deleted).
func (s *Server) DeleteUser(name string) error {
	return s.change(func(st *accessState) (func(*openedConn) bool, string, error) {
		if st.users[name] == nil {
			return nil, "", fmt.Errorf("%w: no user '%s'", ErrNotFound, name)
		}
		delete(st.users, name)
		for k := range st.perms {
			if k.user == name {
				delete(st.perms, k)
			}
		}
		return func(o *openedConn) bool { return o.user == name }, fmt.Sprintf("user '%s' is deleted", name), nil
	})
}

// Users lists the users, sorted by name, with their password hashes.
func (s *Server) Users() []definitions.User {
	st := s.access.Load()
	out := make([]definitions.User, 0, len(st.users))
	for _, u := range st.users {
		out = append(out, u.def)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LookupUser returns a user by name.
func (s *Server) LookupUser(name string) (definitions.User, bool) {
	u := s.access.Load().users[name]
	if u == nil {
		return definitions.User{}, false
	}
	return u.def, true
}

// Authenticate checks a user's password, as a login does.
func (s *Server) Authenticate(name, password string) (definitions.User, bool) {
	u := s.access.Load().users[name]
	if u == nil || u.def.PasswordHash == "" || !definitions.CheckPassword(u.def.PasswordHash, u.def.HashingAlgorithm, password) {
		return definitions.User{}, false
	}
	return u.def, true
}

// SetPermission sets what a user may do in a vhost; both must exist.
func (s *Server) SetPermission(p definitions.Permission) error {
	e, err := compilePermission(p)
	if err != nil {
		return err
	}
	return s.change(func(st *accessState) (func(*openedConn) bool, string, error) {
		if st.users[p.User] == nil {
			return nil, "", fmt.Errorf("%w: no user '%s'", ErrNotFound, p.User)
		}
		if st.vhosts[p.VHost] == nil {
			return nil, "", fmt.Errorf("%w: no vhost '%s'", ErrNotFound, p.VHost)
		}
		st.perms[permKey{p.User, p.VHost}] = e
		return nil, "", nil
	})
}

// ClearPermission takes a user's permission on a vhost away. As in
// RabbitMQ, connections already open stay open; what they do next is
// checked against the permissions then in force.
func (s *Server) ClearPermission(user, vhost string) error {
	return s.change(func(st *accessState) (func(*openedConn) bool, string, error) {
		k := permKey{user, vhost}
		if st.perms[k] == nil {
			return nil, "", fmt.Errorf("%w: no permission for user '%s' on vhost '%s'", ErrNotFound, user, vhost)
		}
		delete(st.perms, k)
		return nil, "", nil
	})
}

// Permissions lists every permission, sorted by vhost then user.
func (s *Server) Permissions() []definitions.Permission {
	st := s.access.Load()
	out := make([]definitions.Permission, 0, len(st.perms))
	for _, p := range st.perms {
		out = append(out, p.def)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].VHost != out[j].VHost {
			return out[i].VHost < out[j].VHost
		}
		return out[i].User < out[j].User
	})
	return out
}

// LookupPermission returns a user's permission on a vhost.
func (s *Server) LookupPermission(user, vhost string) (definitions.Permission, bool) {
	p := s.access.Load().perms[permKey{user, vhost}]
	if p == nil {
		return definitions.Permission{}, false
	}
	return p.def, true
}

// Allowed reports whether user may do a on the exchange or queue named
// name in vhost ("exchange" or "queue" is only for the error's words). It
// is nil when allowed, else RabbitMQ's 403 ACCESS_REFUSED.
func (s *Server) Allowed(user, vhost, kind, name string, a Access) error {
	if err := s.allowed(user, vhost, kind, name, a); err != nil {
		return err
	}
	return nil
}

// allowed is Allowed with the *wire.Error the channel closes with. The
// default exchange is checked, and named, as amq.default, as RabbitMQ's
// rabbit_access_control does.
func (s *Server) allowed(user, vhost, kind, name string, a Access) *wire.Error {
	if kind == "exchange" && name == "" {
		name = "amq.default"
	}
	p := s.access.Load().perms[permKey{user, vhost}]
	if p != nil && p.allows(a, name) {
		return nil
	}
	return wire.Errorf(wire.AccessRefused, "%s access to %s '%s' in vhost '%s' refused for user '%s'", a, kind, name, vhost, user)
}

// allowed checks an operation of connection c in its vhost.
func (c *conn) allowed(kind, name string, a Access) *wire.Error {
	return c.s.allowed(c.user, c.vh.name, kind, name, a)
}

// HasTag reports whether the user exists and has the tag.
func (s *Server) HasTag(user, tag string) bool {
	u := s.access.Load().users[user]
	return u != nil && u.hasTag(tag)
}

// CanOpen reports whether user may open vhost: it exists and the user
// has a permission there (any, as in RabbitMQ).
func (s *Server) CanOpen(user, vhost string) bool {
	st := s.access.Load()
	return st.vhosts[vhost] != nil && st.perms[permKey{user, vhost}] != nil
}

// openVHost is connection.open's check, under accessMu so that a
// concurrent deletion either comes first (and refuses) or finds the
// connection to close.
func (c *conn) openVHost(name, mechanism string) *wire.Error {
	s := c.s
	s.accessMu.Lock()
	defer s.accessMu.Unlock()
	st := s.access.Load()
	v := st.vhosts[name]
	if v == nil {
		return wire.Errorf(wire.NotAllowed, "vhost %s not found", name)
	}
	if st.users[c.user] == nil || st.perms[permKey{c.user, name}] == nil {
		return wire.Errorf(wire.NotAllowed, "access to vhost '%s' refused for user '%s'", name, c.user)
	}
	c.vh = v
	_, tls := c.nc.(interface{ ConnectionState() tls.ConnectionState })
	c.opened.Store(&openedConn{user: c.user, vhost: v, mechanism: mechanism, clientProps: c.clientProps, at: time.Now(),
		frameMax: c.frameMax, channelMax: c.channelMax, heartbeat: int(c.heartbeat.Load()), tls: tls})
	return nil
}

// checkExchangeDeclare is exchange.declare's access check: configure on
// the exchange and, for a new one with an alternate exchange, read on it
// and write on the alternate (rabbit_channel's order). The default
// exchange and a passive declare are left to exchangeDeclare.
func (c *conn) checkExchangeDeclare(m *wire.ExchangeDeclare) *wire.Error {
	if m.Passive || m.Exchange == "" {
		return nil
	}
	if err := c.allowed("exchange", m.Exchange, Configure); err != nil {
		return err
	}
	ae, ok := m.Arguments["alternate-exchange"].(string)
	if !ok || c.vh.hasExchange(m.Exchange) {
		return nil
	}
	if err := c.allowed("exchange", m.Exchange, Read); err != nil {
		return err
	}
	return c.allowed("exchange", ae, Write)
}

// checkQueueDeclare is queue.declare's: configure on the queue and, for a
// new one with a dead-letter exchange, read on it and write on the DLX.
func (c *conn) checkQueueDeclare(name string, serverNamed bool, args map[string]any) *wire.Error {
	if strings.HasPrefix(name, "amq.") && !serverNamed {
		return nil // queueDeclare refuses the reserved prefix first, as RabbitMQ does
	}
	if err := c.allowed("queue", name, Configure); err != nil {
		return err
	}
	dlx, ok := args["x-dead-letter-exchange"].(string)
	if !ok || c.vh.hasQueue(name) {
		return nil
	}
	if err := c.allowed("queue", name, Read); err != nil {
		return err
	}
	return c.allowed("exchange", dlx, Write)
}

// checkBind is (un)binding's: write on the destination, read on the
// source exchange.
func (c *conn) checkBind(source, dest string, toExchange bool) *wire.Error {
	kind := "queue"
	if toExchange {
		kind = "exchange"
	}
	if err := c.allowed(kind, dest, Write); err != nil {
		return err
	}
	return c.allowed("exchange", source, Read)
}

func (v *vhost) hasExchange(name string) bool {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.exchanges[name] != nil
}

func (v *vhost) hasQueue(name string) bool {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.queues[name] != nil
}
