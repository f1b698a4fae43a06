package scenarios

import (
	"strings"
	"testing"
)

func TestTerminalTextStripsControlSequences(t *testing.T) {
	for in, want := range map[string]string{
		"plain text":                               "plain text",
		"two\nlines\tand a tab":                    "two\nlines\tand a tab",
		"\x1b[2J\x1b[Hcleared":                     "cleared",
		"\x1b[31mred\x1b[0m":                       "red",
		"\x1b]0;new title\x07after":                "after",
		"\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\": "link",
		"bell\x07 back\x08space \u009bCSI":         "bell backspace CSI",
		"\x1bcreset":                               "reset",
		"ünïcode ok":                               "ünïcode ok",
	} {
		if got := terminalText(in); got != want {
			t.Errorf("terminalText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestScenarioTextReachesNoTerminalRaw(t *testing.T) {
	src := "name: esc\ntitle: \"\\e[2JTitle\"\nabout: \"\\e]0;pwned\\aAbout\"\ntopology:\n  queues: [{name: q}]\nsteps:\n  - say: \"\\e[31mred\\e[0m\"\n    publish: {exchange: \"\", routing_key: q}\n    expect: [q]\n"
	sc, err := Parse("esc.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{sc.Title, sc.About, sc.Steps[0].Say} {
		if strings.ContainsAny(s, "\x1b\x07") {
			t.Errorf("%q still holds a control character", s)
		}
	}
	if sc.Title != "Title" || sc.About != "About" || sc.Steps[0].Say != "red" {
		t.Errorf("title %q, about %q, say %q", sc.Title, sc.About, sc.Steps[0].Say)
	}
}
