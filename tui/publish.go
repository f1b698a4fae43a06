package tui

import (
	"fmt"
	"slices"
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
	f.headers = input("headers", `none (k=v, n:int=5, s="5")`)
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
	// The headers in the notation every pane shows them in (format=pdf,
	// n:int=5, s="5"); routing.ParseTable says what to fix.
	h, err := routing.ParseTable(f.headers.GetText())
	if err != nil {
		return p, fmt.Errorf("headers: %w", err)
	}
	p.Headers = h
	return p, nil
}

// fill puts a message into the form (a scenario step, so that the next
// free publish starts from it).
func (f *publishForm) fill(p scenarios.Publish) {
	f.exchange.SetText(p.Exchange)
	f.key.SetText(p.RoutingKey)
	f.headers.SetText(routing.FormatTable(p.Headers))
	f.body.SetText(p.Body)
	f.persistent.SetChecked(p.Persistent)
	f.mandatory.SetChecked(p.Mandatory)
}
