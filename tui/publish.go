package tui

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rivo/tview"

	"github.com/warrenmq/warren/sandbox/routing"
	"github.com/warrenmq/warren/scenarios"
)

// publishHeight is the form's height: six fields, a hint or error line
// and the border.
const publishHeight = 10

// Field order in publishForm.fields.
const (
	fieldExchange = iota
	fieldKey
	fieldHeaders
	fieldBody
	fieldPersistent
	fieldMandatory
)

// publishForm is the message the user is about to publish. It is a column
// of plain fields rather than a tview.Form so that Tab stays "next pane"
// everywhere: Up and Down move between fields, Enter publishes.
type publishForm struct {
	root       *tview.Flex
	exchange   *tview.InputField
	key        *tview.InputField
	headers    *tview.InputField
	body       *tview.InputField
	persistent *tview.Checkbox
	mandatory  *tview.Checkbox
	hint       *tview.TextView
	fields     []tview.Primitive
	fresh      map[*tview.InputField]bool // filled by p, not typed into yet (form.go)
}

const publishHint = "Enter publishes · ↑↓ moves · Esc closes · typing replaces a reversed field"

func (a *App) newPublishForm() *publishForm {
	f := &publishForm{fresh: map[*tview.InputField]bool{}}
	input := func(label, placeholder string) *tview.InputField {
		in := tview.NewInputField().SetLabel(label).SetLabelWidth(10).SetPlaceholder(placeholder)
		in.SetFieldStyle(a.th.field()).SetPlaceholderStyle(a.th.field().Italic(true))
		in.SetInputCapture(f.freshKeys(in, a.th))
		return in
	}
	f.exchange = input("exchange", "(default)")
	f.key = input("key", "routing key")
	f.headers = input("headers", "none (k=v, n:int=5)")
	f.body = input("body", "")
	f.persistent = tview.NewCheckbox().SetLabel("persist").SetLabelWidth(10).SetCheckedString("(x)").SetUncheckedString("( )")
	f.mandatory = tview.NewCheckbox().SetLabel("mandatory").SetLabelWidth(10).SetCheckedString("(x)").SetUncheckedString("( )")
	f.hint = tview.NewTextView().SetDynamicColors(true).SetText(publishHint).SetWrap(true)
	f.fields = []tview.Primitive{f.exchange, f.key, f.headers, f.body, f.persistent, f.mandatory}
	f.root = tview.NewFlex().SetDirection(tview.FlexRow)
	for _, p := range f.fields {
		f.root.AddItem(p, 1, 0, false)
	}
	f.root.AddItem(f.hint, 0, 1, false)
	f.root.SetBorder(true).SetTitle(" Publish a message ").SetTitleAlign(tview.AlignLeft)
	return f
}

func (f *publishForm) has(p tview.Primitive) bool { return slices.Contains(f.fields, p) }

// move focuses the field dir steps away from the focused one.
func (f *publishForm) move(app *tview.Application, dir int) {
	i := slices.Index(f.fields, app.GetFocus())
	if i < 0 {
		i = 0
	}
	app.SetFocus(f.fields[(i+dir+len(f.fields))%len(f.fields)])
}

func (f *publishForm) setHint(text string) { f.hint.SetText(text) }

// maxShortString is AMQP's limit on a shortstr (exchange names, routing keys).
const maxShortString = 255

// publishing reads and checks the form. Bad input is an error a person can
// act on, and nothing is published.
func (f *publishForm) publishing() (scenarios.Publish, error) {
	p := scenarios.Publish{
		Exchange:   strings.TrimSpace(f.exchange.GetText()),
		RoutingKey: f.key.GetText(),
		Body:       f.body.GetText(),
		Persistent: f.persistent.IsChecked(),
		Mandatory:  f.mandatory.IsChecked(),
	}
	if n := len(p.Exchange); n > maxShortString {
		return p, fmt.Errorf("exchange name is %d bytes; AMQP allows at most %d", n, maxShortString)
	}
	if n := len(p.RoutingKey); n > maxShortString {
		return p, fmt.Errorf("routing key is %d bytes; AMQP allows at most %d", n, maxShortString)
	}
	h, err := parseHeaders(f.headers.GetText())
	if err != nil {
		return p, err
	}
	p.Headers = h
	return p, nil
}

// parseHeaders reads "k=v, n:int=5, ok:bool=true, note=\"a, b\"". A value
// is a string unless its key says otherwise: byte, short, int (32-bit),
// long (64-bit), float, bool, void (no value), str. RabbitMQ's headers
// exchange compares types, so the type matters. A string in double quotes
// may hold commas (Go's quoting rules).
func parseHeaders(s string) (routing.Table, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	t := routing.Table{}
	parts, err := splitHeaders(s)
	if err != nil {
		return nil, err
	}
	for _, part := range parts {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("header %q: write key=value (e.g. format=pdf, n:int=5)", part)
		}
		k = strings.TrimSpace(k)
		v = strings.TrimSpace(v)
		name, typ, typed := strings.Cut(k, ":")
		if name == "" {
			return nil, fmt.Errorf("header %q: the key is empty", part)
		}
		if len(name) > maxShortString {
			return nil, fmt.Errorf("header key is %d bytes; AMQP allows at most %d", len(name), maxShortString)
		}
		if !typed {
			typ = "str"
		}
		val, err := headerValue(typ, v)
		if err != nil {
			return nil, fmt.Errorf("header %q: %w", name, err)
		}
		t[name] = val
	}
	return t, nil
}

// splitHeaders splits at the commas that are not inside double quotes.
func splitHeaders(s string) ([]string, error) {
	var parts []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if quoted {
				i++ // an escaped character inside quotes
			}
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	if quoted {
		return nil, errors.New(`headers: a '"' is not closed`)
	}
	return append(parts, s[start:]), nil
}

func headerValue(typ, v string) (any, error) {
	switch typ {
	case "str", "string":
		if strings.HasPrefix(v, `"`) {
			u, err := strconv.Unquote(v)
			if err != nil {
				return nil, fmt.Errorf("%s is not a well-quoted string", v)
			}
			return u, nil
		}
		return v, nil
	case "void":
		if v != "" {
			return nil, fmt.Errorf("a void header has no value: write k:void=")
		}
		return nil, nil
	case "byte":
		n, err := strconv.ParseInt(v, 10, 8)
		if err != nil {
			return nil, fmt.Errorf("%q is not a byte (-128..127)", v)
		}
		return int8(n), nil
	case "short":
		n, err := strconv.ParseInt(v, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("%q is not a 16-bit int", v)
		}
		return int16(n), nil
	case "int":
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%q is not a 32-bit int", v)
		}
		return int32(n), nil
	case "long":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a 64-bit int", v)
		}
		return n, nil
	case "float":
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a float", v)
		}
		return n, nil
	case "bool":
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("%q is not a bool (true or false)", v)
		}
		return b, nil
	}
	return nil, errors.New("unknown type " + strconv.Quote(typ) + " (use str, byte, short, int, long, float, bool or void)")
}

// fill puts a message into the form (a scenario step, so that the next
// free publish starts from it).
func (f *publishForm) fill(p scenarios.Publish) {
	f.exchange.SetText(p.Exchange)
	f.key.SetText(p.RoutingKey)
	f.headers.SetText(formatHeaderInput(p.Headers))
	f.body.SetText(p.Body)
	f.persistent.SetChecked(p.Persistent)
	f.mandatory.SetChecked(p.Mandatory)
}

// formatHeaderInput writes headers back in the form's syntax.
func formatHeaderInput(t routing.Table) string {
	if len(t) == 0 {
		return ""
	}
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		switch v := t[k].(type) {
		case nil:
			parts = append(parts, k+":void=")
		case string:
			if strings.ContainsAny(v, `,"\\`) || strings.TrimSpace(v) != v {
				v = strconv.Quote(v)
			}
			parts = append(parts, k+"="+v)
		case int8:
			parts = append(parts, fmt.Sprintf("%s:byte=%d", k, v))
		case int16:
			parts = append(parts, fmt.Sprintf("%s:short=%d", k, v))
		case int32, int, uint8, uint16:
			parts = append(parts, fmt.Sprintf("%s:int=%v", k, v))
		case int64, uint32:
			parts = append(parts, fmt.Sprintf("%s:long=%v", k, v))
		case float32, float64:
			parts = append(parts, fmt.Sprintf("%s:float=%v", k, v))
		case bool:
			parts = append(parts, fmt.Sprintf("%s:bool=%v", k, v))
		default:
			parts = append(parts, fmt.Sprintf("%s=%v", k, v))
		}
	}
	return strings.Join(parts, ", ")
}
