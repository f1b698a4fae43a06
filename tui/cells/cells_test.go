package cells

import "testing"

func TestFit(t *testing.T) {
	for _, c := range []struct {
		in   string
		w    int
		want string
	}{
		{"queue", 5, "queue"},
		{"queue", 10, "queue"},
		{"queues", 5, "queu…"},
		{"queue", 1, "…"},
		{"queue", 0, ""},
		{"", 3, ""},
		{"日本語", 6, "日本語"},
		{"日本語", 5, "日本…"},
		{"日本語", 4, "日…"}, // the second wide rune would end past the cut
		{"e\u0301té", 3, "e\u0301té"},
	} {
		if got := Fit(c.in, c.w); got != c.want {
			t.Errorf("Fit(%q, %d) = %q, want %q", c.in, c.w, got, c.want)
		}
		if got := Width(Fit(c.in, c.w)); c.w >= 0 && got > c.w {
			t.Errorf("Fit(%q, %d) is %d cells wide", c.in, c.w, got)
		}
	}
	if Width("日本") != 4 || Width("e\u0301") != 1 {
		t.Errorf("Width: 日本 %d (want 4), e+acute %d (want 1)", Width("日本"), Width("e\u0301"))
	}
}
