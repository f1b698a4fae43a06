package amqpuri

import (
	"errors"
	"strings"
	"testing"
)

func TestMask(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"amqp://guest:guest@127.0.0.1:5672/", "amqp://guest:*****@127.0.0.1:5672/"},
		{"amqps://u:p%40ss@host/vh", "amqps://u:*****@host/vh"},
		{"amqp://host:5672/", "amqp://host:5672/"},
		{"amqp://user@host/", "amqp://user@host/"},
		{"amqp://u:@host/", "amqp://u:*****@host/"},
		{"amqp://guest:guest@127.0.0.1:5672/%2f?heartbeat=10", "amqp://guest:*****@127.0.0.1:5672/%2f?heartbeat=10"},
		// What url.Parse refuses: a stray '%' in the password or the vhost.
		{"amqp://guest:gu%st@127.0.0.1:5672/", "amqp://guest:*****@127.0.0.1:5672/"},
		{"amqp://u:p%zz@host:5672/vh%", "amqp://u:*****@host:5672/vh%"},
		{"http://u:secret%@host/", "http://u:*****@host/"},
		// Unescaped characters that end the authority for url.Parse.
		{"amqp://u:pa/ss@host/", "amqp://u:*****@host/"},
		{"amqp://u:p@ss@host/", "amqp://u:*****@host/"},
		{"amqp://u:123/x@host/", "amqp://u:*****@host/"},
		{"not a url %%", "not a url %%"},
		{"", ""},
	} {
		if got := Mask(tc.in); got != tc.want {
			t.Errorf("Mask(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, ok := range []string{Default, "amqps://u:p@rabbit.example.com/vh", "amqp://127.0.0.1:5673"} {
		if err := Validate(ok); err != nil {
			t.Errorf("Validate(%q) = %v, want nil", ok, err)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"http://127.0.0.1:5672/", "AMQP scheme must be either 'amqp://' or 'amqps://'"},
		{"amqp://guest:sec%ret@127.0.0.1:5672/", "amqp://guest:*****@127.0.0.1:5672/"},
		{"", "not a valid AMQP URL (want amqp://user:password@host:5672/vhost)"},
	} {
		err := Validate(tc.in)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%q) = %v, want ErrInvalid saying %q", tc.in, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "sec%ret") {
			t.Errorf("Validate(%q) shows the password: %v", tc.in, err)
		}
	}
}

func TestResolve(t *testing.T) {
	env := func(v string) func(string) string {
		return func(name string) string {
			if name == EnvVar {
				return v
			}
			return ""
		}
	}
	for _, tc := range []struct{ flag, env, fallback, want string }{
		{"amqp://flag/", "amqp://env/", Default, "amqp://flag/"},
		{"", "amqp://env/", Default, "amqp://env/"},
		{"", "", Default, Default},
		{"", "", "", ""},
	} {
		if got := Resolve(tc.flag, env(tc.env), tc.fallback); got != tc.want {
			t.Errorf("Resolve(%q, $AMQP_URL=%q, %q) = %q, want %q", tc.flag, tc.env, tc.fallback, got, tc.want)
		}
	}
}
