package management

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client is a small client of a management API, Warren's or RabbitMQ's:
// what `warren ctl` and `warren definitions` need. It speaks JSON, with
// HTTP Basic credentials.
type Client struct {
	base       *url.URL // scheme://host:port, no credentials
	user, pass string
	http       *http.Client
	own        *http.Transport // the transport NewClient made, or nil
}

// NewClient returns a client for the API at base (http://host:port or
// https://...), with the credentials base holds or, when it holds none,
// user and pass. hc nil is a client of its own with a 30-second
// timeout, whose connections Close closes.
func NewClient(base, user, pass string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("management URL %q: want http://host:port (RabbitMQ's management plugin listens on 15672)", base)
	}
	if u.User != nil {
		user = u.User.Username()
		pass, _ = u.User.Password()
		u.User = nil
	}
	u.Path, u.RawPath = strings.TrimSuffix(u.Path, "/"), ""
	c := &Client{base: u, user: user, pass: pass, http: hc}
	if hc == nil {
		c.own = http.DefaultTransport.(*http.Transport).Clone()
		c.http = &http.Client{Timeout: 30 * time.Second, Transport: c.own}
	}
	return c, nil
}

// Close closes the idle connections of a client NewClient made the
// http.Client of.
func (c *Client) Close() {
	if c.own != nil {
		c.own.CloseIdleConnections()
	}
}

// URL is the API's base URL, without credentials.
func (c *Client) URL() string { return c.base.String() }

// User is the user the client logs in as.
func (c *Client) User() string { return c.user }

// StatusError is an answer other than 2xx: its status and RabbitMQ's
// error and reason.
type StatusError struct {
	Method, Path string
	Status       int
	Kind, Reason string
}

func (e *StatusError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.Path, e.Status, e.Kind, e.Reason)
	}
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
}

// Path is "/" and the segments, each escaped (a vhost "/" is %2F):
// "/api/queues" + Path("/", "q") is /api/queues/%2F/q.
func Path(segments ...string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// Do sends a request with body (nil, or a value sent as JSON; []byte as
// it is) and decodes a JSON answer into out (when not nil).
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return err
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, r)
	if err != nil {
		return err
	}
	req.SetBasicAuth(c.user, c.pass)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("the management API at %s does not answer (%v): is the management plugin enabled (rabbitmq-plugins enable rabbitmq_management), or warren broker run with --management?", c.base, unwrapURLError(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		se := &StatusError{Method: method, Path: path, Status: resp.StatusCode}
		var e struct{ Error, Reason string }
		if json.Unmarshal(data, &e) == nil {
			se.Kind, se.Reason = e.Error, e.Reason
		}
		return se
	}
	if out == nil || len(data) == 0 {
		return nil
	}
	if raw, ok := out.(*[]byte); ok {
		*raw = data
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("%s %s: the answer is not the JSON expected: %v", method, path, err)
	}
	return nil
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
