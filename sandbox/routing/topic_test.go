package routing

import (
	"reflect"
	"testing"
)

func TestSplitTopicKey(t *testing.T) {
	tests := []struct {
		key  string
		want []string
	}{
		{"", nil},
		{".", []string{"", ""}},
		{"a", []string{"a"}},
		{"a..b", []string{"a", "", "b"}},
		{"a.", []string{"a", ""}},
		{".a", []string{"", "a"}},
		{"#.#", []string{"#", "#"}},
		{"quick.orange.rabbit", []string{"quick", "orange", "rabbit"}},
	}
	for _, tt := range tests {
		if got := SplitTopicKey(tt.key); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SplitTopicKey(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

// TestMatchTopic covers the word rules and the reasons a person reads.
func TestMatchTopic(t *testing.T) {
	tests := []struct {
		pattern, key string
		match        bool
		reason       string
	}{
		// The tutorial's example (issue 2).
		{"*.orange.*", "quick.orange.rabbit", true, "'*' matched 'quick', '*' matched 'rabbit'"},
		{"*.*.rabbit", "quick.orange.rabbit", true, "'*' matched 'quick', '*' matched 'orange'"},
		{"lazy.#", "lazy.orange.elephant", true, "'#' matched 'orange.elephant'"},
		{"*.orange.*", "quick.orange.fox", true, "'*' matched 'quick', '*' matched 'fox'"},
		{"lazy.#", "quick.orange.fox", false, "'lazy' != 'quick' at word 1"},
		{"*.orange.*", "quick.brown.fox", false, "'orange' != 'brown' at word 2"},
		{"*.orange.*", "orange", false, "routing key has 1 word, no word 2 for 'orange'"},
		{"*.orange.*", "quick.orange.new.rabbit", false, "extra word 'rabbit' at word 4: binding key has 3 words"},
		{"lazy.#", "lazy.orange.new.rabbit", true, "'#' matched 'orange.new.rabbit'"},
		{"*.*.rabbit", "lazy.pink.rabbit", true, "'*' matched 'lazy', '*' matched 'pink'"},
		// Exact and empty keys.
		{"a.b", "a.b", true, "'a.b' == 'a.b'"},
		{"", "", true, "'' == '': empty binding key matches the empty routing key"},
		{"", "a", false, "empty binding key matches only the empty routing key, not 'a'"},
		{"a", "", false, "empty routing key has no word for 'a'"},
		// '*' is exactly one word, and an empty word is a word.
		{"*", "", false, "empty routing key has no word for '*'"},
		{"*", "a", true, "'*' matched 'a'"},
		{"*", "a.b", false, "extra word 'b' at word 2: binding key has 1 word"},
		{"*.*", ".", true, "'*' matched '', '*' matched ''"},
		{"a.*.b", "a..b", true, "'*' matched ''"},
		{"a.b", "a..b", false, "'b' != '' at word 2"},
		{"*", ".", false, "extra word '' at word 2: binding key has 1 word"},
		// '#' is zero or more words.
		{"#", "", true, "'#' matched no words"},
		{"#", ".", true, "'#' matched '.'"},
		{"#", "a..b", true, "'#' matched 'a..b'"},
		{"a.#", "a", true, "'#' matched no words"},
		{"a.#.b", "a.b", true, "'#' matched no words"},
		{"#.#", "", true, "'#' matched no words, '#' matched no words"},
		{"#.#", "x.y", true, "'#' matched 'x.y', '#' matched no words"},
		{"#.b", "a.b.c", false, "extra word 'c' at word 3: binding key has 2 words"},
		{"#.b", "a.c", false, "'b' not found in words 1-2 ('a.c')"},
		{"a.#.b.c", "a.x.b.y", false, "'c' != 'y' at word 4"},
		{"a.#.b", "a.x", false, "'b' not found in word 2 ('x')"},
		{"lazy.#.rabbit", "lazy.orange.fox", false, "'rabbit' not found in words 2-3 ('orange.fox')"},
		{"#.a", "", false, "routing key ended before 'a'"},
		{"a.#", "b", false, "'a' != 'b' at word 1"},
		// A routing key's '#' and '*' are ordinary words.
		{"#.#", "#.#", true, "'#' matched '#.#', '#' matched no words"},
		{"a", "*", false, "'a' != '*' at word 1"},
		{"*.*", "#.#", true, "'*' matched '#', '*' matched '#'"},
	}
	for _, tt := range tests {
		got, reason := MatchTopic(tt.pattern, tt.key)
		if got != tt.match || reason != tt.reason {
			t.Errorf("MatchTopic(%q, %q) = %v, %q; want %v, %q", tt.pattern, tt.key, got, reason, tt.match, tt.reason)
		}
	}
}
