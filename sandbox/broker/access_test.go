package broker

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/internal/brokertest"
	"github.com/warrenmq/warren/sandbox/definitions"
)

// accessBroker is a broker whose users, vhosts and permissions a test
// can change: the embedded one through its API, the live RabbitMQ
// through its management API.
type accessBroker struct {
	testBroker
	host     string // host:port of the AMQP listener
	tempUser func(t *testing.T, pass string) (vhost, user string)
	setPerms func(t *testing.T, vhost, user, configure, write, read string)
	delUser  func(t *testing.T, user string)
}

func (b accessBroker) url(user, pass, vhost string) string {
	u := url.URL{Scheme: "amqp", User: url.UserPassword(user, pass), Host: b.host, Path: "/" + vhost, RawPath: "/" + url.PathEscape(vhost)}
	return u.String()
}

// refusal is the 403 text for an operation the user's permissions do not
// cover. RabbitMQ 3.10 leaves out which permission; 4.x names it.
func (b accessBroker) refusal(perm Access, kind, name, vhost, user string) string {
	what := fmt.Sprintf("access to %s '%s' in vhost '%s' refused for user '%s'", kind, name, vhost, user)
	if b.is3x() {
		return "ACCESS_REFUSED - " + what
	}
	return "ACCESS_REFUSED - " + perm.String() + " " + what
}

func accessBrokers(t *testing.T) []accessBroker {
	s := startBroker(t, Options{})
	embedded := accessBroker{
		testBroker: testBroker{name: "embedded", url: s.URL(), version: Version},
		host:       s.Addr().String(),
		tempUser: func(t *testing.T, pass string) (string, string) {
			vh, user := uniq("vhost"), uniq("user")
			if err := s.PutVHost(vh); err != nil {
				t.Fatal(err)
			}
			if err := s.PutUser(definitions.User{Name: user, Password: pass}); err != nil {
				t.Fatal(err)
			}
			return vh, user
		},
		setPerms: func(t *testing.T, vhost, user, c, w, r string) {
			if err := s.SetPermission(definitions.Permission{User: user, VHost: vhost, Configure: c, Write: w, Read: r}); err != nil {
				t.Fatal(err)
			}
		},
		delUser: func(t *testing.T, user string) {
			if err := s.DeleteUser(user); err != nil {
				t.Fatal(err)
			}
		},
	}
	out := []accessBroker{embedded}
	brokers := bothBrokers(t)
	if len(brokers) < 2 {
		return out
	}
	m := brokertest.LiveManagementOrSkip(t)
	live := brokers[1]
	lu, _ := url.Parse(live.url)
	return append(out, accessBroker{
		testBroker: live,
		host:       lu.Host,
		tempUser:   func(t *testing.T, pass string) (string, string) { return m.TempVHostUser(t, pass) },
		setPerms: func(t *testing.T, vhost, user, c, w, r string) {
			m.SetPermissions(t, vhost, user, c, w, r)
		},
		delUser: func(t *testing.T, user string) { m.Must(t, "DELETE", "/api/users/"+url.PathEscape(user), nil) },
	})
}

func forAccess(t *testing.T, f func(t *testing.T, b accessBroker)) {
	for _, b := range accessBrokers(t) {
		t.Run(b.name, func(t *testing.T) { f(t, b) })
	}
}

func amqpError(err error) string {
	var e *amqp.Error
	if errors.As(err, &e) {
		return fmt.Sprintf("%d %s", e.Code, e.Reason)
	}
	return fmt.Sprint(err)
}

func TestVHostAccessRefused(t *testing.T) {
	forAccess(t, func(t *testing.T, b accessBroker) {
		vh, user := b.tempUser(t, "pw")
		_, err := amqp.Dial(b.url(user, "pw", vh))
		if got, want := amqpError(err), fmt.Sprintf("530 NOT_ALLOWED - access to vhost '%s' refused for user '%s'", vh, user); got != want {
			t.Errorf("no permission: %s\nwant %s", got, want)
		}
		missing := uniq("no-such-vhost")
		_, err = amqp.Dial(b.url(user, "pw", missing))
		if got, want := amqpError(err), fmt.Sprintf("530 NOT_ALLOWED - vhost %s not found", missing); got != want {
			t.Errorf("no vhost: %s\nwant %s", got, want)
		}
		b.setPerms(t, vh, user, "", "", "")
		c, err := amqp.Dial(b.url(user, "pw", vh))
		if err != nil {
			t.Fatalf("with a permission (even one that allows nothing) the vhost opens: %v", err)
		}
		c.Close()
	})
}

func TestPermissionsRefuseAsRabbitMQ(t *testing.T) {
	forAccess(t, func(t *testing.T, b accessBroker) {
		vh, user := b.tempUser(t, "pw")
		// the admin (the broker's default user) makes a queue the user may not read
		b.setPerms(t, vh, user, "^own\\.", "^own\\.", "^own\\.")
		c := dial(t, b.url(user, "pw", vh))
		try := func(what string, f func(ch *amqp.Channel) error) string {
			ch, err := c.Channel()
			if err != nil {
				t.Fatalf("%s: channel: %v", what, err)
			}
			closed := ch.NotifyClose(make(chan *amqp.Error, 1))
			if err := f(ch); err != nil {
				return amqpError(err)
			}
			// a publish fails asynchronously: wait for the close or a round trip
			if err := ch.ExchangeDeclarePassive("amq.direct", "direct", true, false, false, false, nil); err != nil {
				if errors.Is(err, amqp.ErrClosed) {
					// closed while the round trip was under way: the
					// reason is on the way to the close notification
					select {
					case e := <-closed:
						return amqpError(e)
					case <-time.After(5 * time.Second):
					}
				}
				return amqpError(err)
			}
			select {
			case e := <-closed:
				return amqpError(e)
			default:
			}
			ch.Close()
			return "ok"
		}
		checks := []struct {
			what string
			f    func(ch *amqp.Channel) error
			want string
		}{
			{"declare own queue", func(ch *amqp.Channel) error {
				_, err := ch.QueueDeclare("own.q", false, true, false, false, nil)
				return err
			}, "ok"},
			{"declare other queue", func(ch *amqp.Channel) error {
				_, err := ch.QueueDeclare("other.q", false, true, false, false, nil)
				return err
			}, "403 " + b.refusal(Configure, "queue", "other.q", vh, user)},
			{"declare other exchange", func(ch *amqp.Channel) error {
				return ch.ExchangeDeclare("other.x", "direct", false, true, false, false, nil)
			}, "403 " + b.refusal(Configure, "exchange", "other.x", vh, user)},
			{"passive declare needs nothing", func(ch *amqp.Channel) error {
				return ch.ExchangeDeclarePassive("amq.topic", "topic", true, false, false, false, nil)
			}, "ok"},
			{"bind from amq.direct", func(ch *amqp.Channel) error {
				return ch.QueueBind("own.q", "k", "amq.direct", false, nil)
			}, "403 " + b.refusal(Read, "exchange", "amq.direct", vh, user)},
			{"publish to the default exchange", func(ch *amqp.Channel) error {
				return ch.Publish("", "own.q", false, false, amqp.Publishing{})
			}, "403 " + b.refusal(Write, "exchange", "amq.default", vh, user)},
			{"declare own exchange", func(ch *amqp.Channel) error {
				return ch.ExchangeDeclare("own.x", "fanout", false, true, false, false, nil)
			}, "ok"},
			{"bind own queue to own exchange", func(ch *amqp.Channel) error {
				return ch.QueueBind("own.q", "", "own.x", false, nil)
			}, "ok"},
			{"publish to own exchange", func(ch *amqp.Channel) error {
				return ch.Publish("own.x", "", false, false, amqp.Publishing{Body: []byte("hi")})
			}, "ok"},
			{"get from own queue", func(ch *amqp.Channel) error {
				_, ok, err := ch.Get("own.q", true)
				if err == nil && !ok {
					return errors.New("own.q is empty: the publish did not arrive")
				}
				return err
			}, "ok"},
			{"delete own exchange", func(ch *amqp.Channel) error { return ch.ExchangeDelete("own.x", false, false) }, "ok"},
			{"delete own queue", func(ch *amqp.Channel) error {
				_, err := ch.QueueDelete("own.q", false, false, false)
				return err
			}, "ok"},
		}
		for _, tc := range checks {
			if got := try(tc.what, tc.f); got != tc.want {
				t.Errorf("%s: %s\nwant %s", tc.what, got, tc.want)
			}
		}
		// RabbitMQ checks the permission before the queue exists
		if got, want := try("consume", func(ch *amqp.Channel) error {
			_, err := ch.Consume("other.q", "", true, false, false, false, nil)
			return err
		}), "403 "+b.refusal(Read, "queue", "other.q", vh, user); got != want {
			t.Errorf("consume: %s\nwant %s", got, want)
		}
	})
}

func TestDeletedUserIsDisconnected(t *testing.T) {
	forAccess(t, func(t *testing.T, b accessBroker) {
		vh, user := b.tempUser(t, "pw")
		b.setPerms(t, vh, user, ".*", ".*", ".*")
		c := dial(t, b.url(user, "pw", vh))
		closed := c.NotifyClose(make(chan *amqp.Error, 1))
		b.delUser(t, user)
		select {
		case e := <-closed:
			if got, want := amqpError(e), fmt.Sprintf("320 CONNECTION_FORCED - user '%s' is deleted", user); got != want {
				t.Errorf("closed with %s, want %s", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the deleted user's connection stayed open")
		}
	})
}

func TestDeletedVHostClosesItsConnections(t *testing.T) {
	s := startBroker(t, Options{VHosts: []string{"/", "v"}})
	u := s.URL() + "v" // the URL names vhost "/"
	c := dial(t, u)
	closed := c.NotifyClose(make(chan *amqp.Error, 1))
	ch := openChannel(t, c)
	if _, err := ch.QueueDeclare("q", true, false, false, false, amqp.Table{"x-message-ttl": int32(60000)}); err != nil {
		t.Fatal(err)
	}
	if err := ch.Publish("", "q", false, false, amqp.Publishing{Body: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteVHost("v"); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-closed:
		if got := amqpError(e); got != "320 CONNECTION_FORCED - vhost 'v' is deleted" {
			t.Errorf("closed with %s", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the connection to the deleted vhost stayed open")
	}
	if got := s.VHostNames(); len(got) != 1 || got[0] != "/" {
		t.Errorf("vhosts after the deletion: %v", got)
	}
	if err := s.DeleteVHost("v"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleting it again: %v, want ErrNotFound", err)
	}
	_, err := amqp.Dial(u)
	if got := amqpError(err); !strings.Contains(got, "530 NOT_ALLOWED - vhost v not found") {
		t.Errorf("dialling the deleted vhost: %s", got)
	}
}

func TestAccessAPIRefusesWhatRabbitMQRefuses(t *testing.T) {
	s := startBroker(t, Options{})
	if err := s.SetPermission(definitions.Permission{User: "nobody", VHost: "/", Configure: ".*"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("a permission for a missing user: %v", err)
	}
	if err := s.SetPermission(definitions.Permission{User: "guest", VHost: "nowhere", Configure: ".*"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("a permission on a missing vhost: %v", err)
	}
	if err := s.SetPermission(definitions.Permission{User: "guest", VHost: "/", Configure: "(?!x)"}); err == nil || !strings.Contains(err.Error(), "RE2") {
		t.Errorf("a lookahead: %v", err)
	}
	if err := s.PutUser(definitions.User{Name: "h", PasswordHash: "not base64!"}); err == nil {
		t.Error("a malformed hash was taken")
	}
	// a user imported with RabbitMQ's hash logs in with the password
	if err := s.PutUser(definitions.User{Name: "g2", PasswordHash: "BP966VUkfBOW01yAZIYAxbpHigPn+lk4y+0T4n7nPzvUkRxn", Tags: definitions.Tags{"administrator"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPermission(definitions.Permission{User: "g2", VHost: "/", Configure: ".*", Write: ".*", Read: ".*"}); err != nil {
		t.Fatal(err)
	}
	c := dial(t, strings.Replace(s.URL(), "guest:guest", "g2:guest", 1))
	c.Close()
	// replacing a user without a password keeps its password
	if err := s.PutUser(definitions.User{Name: "g2", Tags: definitions.Tags{"monitoring"}}); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Authenticate("g2", "guest"); !ok || !s.HasTag("g2", "monitoring") || s.HasTag("g2", "administrator") {
		t.Error("a user replaced without a password lost it, or kept its old tags")
	}
}
