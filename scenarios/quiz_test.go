package scenarios

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/sandbox/routing"
)

func quizScenario(t *testing.T) *Scenario {
	t.Helper()
	sc, err := Parse("quiz.yaml", []byte(`name: q
topology:
  exchanges:
    - {name: x, type: direct}
    - {name: h, type: headers}
    - {name: lost, type: fanout}
    - {name: safe, type: direct, arguments: {alternate-exchange: lost}}
  queues: [{name: a}, {name: b}, {name: tasks}, {name: lost_found}, {name: Returned}]
  bindings:
    - {source: x, destination: a, routing_key: k}
    - {source: x, destination: b, routing_key: k}
    - {source: lost, destination: lost_found}
consumers:
  - {name: w1, queue: tasks, prefetch: 1, ack: manual}
  - {name: w2, queue: tasks, prefetch: 1, ack: manual}
steps:
  - publish: {exchange: x, routing_key: k}
    expect: [a, b]
  - quiz: Where does the second one go?
    hint: nowhere
    publish: {exchange: x, routing_key: nobody, mandatory: true}
    expect: []
    expect_returned: true
  - publish: {exchange: "", routing_key: tasks}
    expect: [tasks]
    expect_consumers: {tasks: w2}
  - publish: {exchange: safe, routing_key: nobody}
    expect: [lost_found]
  - publish: {exchange: h, headers: {n: 1.0, s: "1", v: ~}}
    expect: []
`))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func TestQuizParse(t *testing.T) {
	q := NewQuiz(quizScenario(t))
	tests := []struct {
		line string
		want Prediction
	}{
		{"", Prediction{}},
		{"  none ", Prediction{}},
		{"DROPPED", Prediction{}},
		{"-", Prediction{}},
		{"a b", Prediction{Queues: []string{"a", "b"}}},
		{"b,a, b", Prediction{Queues: []string{"a", "b"}}},
		{"returned", Prediction{Returned: true}},
		{"Return", Prediction{Returned: true}},
		{"alternate lost_found", Prediction{Queues: []string{"lost_found"}, Alternate: true}},
		{"ae", Prediction{Alternate: true}},
		{"w2", Prediction{Queues: []string{"tasks"}, Consumers: map[string][]string{"tasks": {"w2"}}}},
		{"tasks w2 a", Prediction{Queues: []string{"a", "tasks"}, Consumers: map[string][]string{"tasks": {"w2"}}}},
		{"Returned", Prediction{Queues: []string{"Returned"}}}, // a queue's name wins over the word
	}
	for _, tt := range tests {
		got, err := q.Parse(tt.line)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tt.line, got, err, tt.want)
		}
	}
	bad := []struct{ line, says string }{
		{"c", `"c" is not a queue of scenario q; its queues are a, b, tasks, lost_found, Returned; its consumers w1, w2; or say none, returned, alternate`},
		{"A", "names are case-sensitive: a"},
		{"none a", `"none" and a`},
		{"returned a", "returned only when no queue gets it"},
		{"returned alternate", `"returned" and "alternate"`},
		{"none returned", `"none" means dropped`},
	}
	for _, tt := range bad {
		_, err := q.Parse(tt.line)
		var pe *PredictionError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("Parse(%q) = %v; want a PredictionError saying %q", tt.line, err, tt.says)
		}
	}
}

// played judges step i of sc as if the broker had delivered to the
// given queues (queue:consumer, or queue for its observer) and returned
// the message or not.
func played(sc *Scenario, i int, returned bool, deliveries ...string) StepResult {
	st := sc.Steps[i]
	obs := Observation{MessageID: "m"}
	for _, d := range deliveries {
		q, c, ok := strings.Cut(d, ":")
		if !ok {
			c = q
		}
		obs.Deliveries = append(obs.Deliveries, sandbox.Delivery{Queue: q, Consumer: c})
	}
	if returned {
		obs.Return = &sandbox.Return{ReplyCode: 312, ReplyText: "NO_ROUTE"}
	}
	m := routing.Message{Exchange: st.Publish.Exchange, RoutingKey: st.Publish.RoutingKey, Headers: st.Publish.Headers, Mandatory: st.Publish.Mandatory}
	return Judge(i+1, st, obs, routing.Route(&sc.Topology, m))
}

func TestQuizMark(t *testing.T) {
	sc := quizScenario(t)
	tests := []struct {
		name   string
		r      StepResult
		answer *string
		right  bool
		wrong  string
	}{
		{"both queues", played(sc, 0, false, "a", "b"), ptr("b a"), true, ""},
		{"one missing", played(sc, 0, false, "a", "b"), ptr("a"), false, "b got a copy too"},
		{"one too many", played(sc, 0, false, "a"), ptr("a b"), false, "b got no copy"},
		{"unanswered", played(sc, 0, false, "a", "b"), nil, false, "no answer"},
		{"returned", played(sc, 1, true), ptr("returned"), true, ""},
		{"returned, said dropped", played(sc, 1, true), ptr(""), false, "it was returned to the publisher"},
		{"dropped, said returned", played(sc, 0, false), ptr("returned"), false, "it was not returned"},
		{"asks who: right", played(sc, 2, false, "tasks:w2"), ptr("w2"), true, ""},
		{"asks who: only the queue", played(sc, 2, false, "tasks:w2"), ptr("tasks"), false, "the step asks which consumer of tasks: it was w2"},
		{"asks who: wrong one", played(sc, 2, false, "tasks:w2"), ptr("w1"), false, "w2 got it from tasks, not w1"},
		{"alternate said", played(sc, 3, false, "lost_found"), ptr("alternate lost_found"), true, ""},
		{"alternate unsaid", played(sc, 3, false, "lost_found"), ptr("lost_found"), true, ""},
		{"alternate wrongly said", played(sc, 0, false, "a", "b"), ptr("ae a b"), false, "no alternate exchange took it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := NewQuiz(sc)
			var p *Prediction
			if tt.answer != nil {
				pp, err := q.Parse(*tt.answer)
				if err != nil {
					t.Fatal(err)
				}
				p = &pp
			}
			m := q.Mark(tt.r, p)
			if m.Right != tt.right || !strings.Contains(strings.Join(m.Wrong, "; "), tt.wrong) {
				t.Errorf("Mark(%q) = right %v, wrong %q; want right %v, saying %q", deref(tt.answer), m.Right, m.Wrong, tt.right, tt.wrong)
			}
			if m.Answered != (tt.answer != nil) {
				t.Errorf("Answered = %v", m.Answered)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func deref(s *string) string {
	if s == nil {
		return "<no answer>"
	}
	return *s
}

func TestQuizScoreAndTruth(t *testing.T) {
	sc := quizScenario(t)
	q := NewQuiz(sc)
	right := func(s string) *Prediction { p, _ := q.Parse(s); return &p }
	q.Mark(played(sc, 0, false, "a", "b"), right("a b"))
	q.Mark(played(sc, 1, true), right(""))
	if got := q.ScoreLine(); got != "score: 1/5" {
		t.Errorf("ScoreLine = %q, want score: 1/5", got)
	}
	// A step played again (the TUI's step back) replaces its mark.
	q.Mark(played(sc, 1, true), right("returned"))
	if k, n := q.Score(); k != 2 || n != 2 || q.ScoreLine() != "score: 2/5" {
		t.Errorf("after marking step 2 again: %d of %d marked right, %q; want 2 of 2, score: 2/5", k, n, q.ScoreLine())
	}
	if ms := q.Marks(); len(ms) != 2 || ms[0].Step != 1 || ms[1].Step != 2 {
		t.Errorf("Marks = %+v", ms)
	}
	// Stepping back past a step forgets its mark.
	q.Unmark(2)
	if k, n := q.Score(); k != 1 || n != 1 {
		t.Errorf("after Unmark(2): %d of %d marked right, want 1 of 1", k, n)
	}
	if _, ok := q.MarkOf(2); ok {
		t.Error("MarkOf(2) after Unmark(2) still has a mark")
	}
	if m, ok := q.MarkOf(1); !ok || !m.Right {
		t.Errorf("MarkOf(1) = %+v, %v; want step 1 marked right", m, ok)
	}
	q.Mark(played(sc, 1, true), right("returned"))
	// Observers (consumers Warren starts, named after their queue) are not
	// named in the truth; the scenario's consumers are.
	tr := q.Truth(played(sc, 0, false, "a", "b"))
	if tr.Consumers != nil || tr.String() != "a, b" || tr.Describe() != "a and b" {
		t.Errorf("Truth = %+v (%q, %q); want a and b, no consumers", tr, tr.String(), tr.Describe())
	}
	tr = q.Truth(played(sc, 2, false, "tasks:w2"))
	if tr.String() != "w2" || tr.Describe() != "tasks (consumer w2)" {
		t.Errorf("Truth = %q, %q; want w2, tasks (consumer w2)", tr.String(), tr.Describe())
	}
	tr = q.Truth(played(sc, 3, false, "lost_found"))
	if !tr.Alternate || tr.Describe() != "lost_found, through the alternate exchange" {
		t.Errorf("Truth = %+v %q; want lost_found through the alternate exchange", tr, tr.Describe())
	}
	if d := q.Truth(played(sc, 1, true)).Describe(); d != "returned to the publisher" {
		t.Errorf("Describe = %q", d)
	}
}

func TestQuizQuestion(t *testing.T) {
	q := NewQuiz(quizScenario(t))
	for i, want := range []string{
		`A message is published to exchange x (direct) with routing key "k". Which queues get a copy?`,
		"Where does the second one go?",
		`A message is published to the default exchange with routing key "tasks". Which queues get it, and which consumer of tasks?`,
		`A message is published to exchange safe (direct) with routing key "nobody". Which queues get a copy?`,
		`A message is published to exchange h (headers) with routing key "" and headers {n:double=1, s="1", v:void=}. Which queues get a copy?`,
	} {
		if got := q.Question(i); got != want {
			t.Errorf("Question(%d) = %q\nwant %q", i, got, want)
		}
	}
	if q.Hint(1) != "nowhere" || q.Hint(0) != "" {
		t.Errorf("hints %q, %q", q.Hint(1), q.Hint(0))
	}
	sc := quizScenario(t)
	sc.Steps[1].Publish.Mandatory = true
	sc.Steps[1].Quiz = ""
	if got := NewQuiz(sc).Question(1); !strings.Contains(got, `"nobody", mandatory. Which`) {
		t.Errorf("a mandatory message's question = %q; want it to say mandatory", got)
	}
	sc.Steps[4].Publish.Headers = nil
	if got := NewQuiz(sc).Question(4); !strings.Contains(got, "and no headers.") {
		t.Errorf("a headers exchange's message without headers: %q; want it to say no headers", got)
	}
}

func TestForServerExpectBefore(t *testing.T) {
	sc, err := Parse("v.yaml", []byte(`name: v
topology:
  exchanges: [{name: h, type: headers}]
  queues: [{name: one}, {name: two}]
  bindings:
    - {source: h, destination: one, arguments: {n: 1}}
steps:
  - publish: {exchange: h, headers: {n: 1.0}}
    expect: []
    expect_before: {"3.13": [one], "3.11": [one, two]}
`))
	if err != nil {
		t.Fatal(err)
	}
	st := sc.Steps[0]
	for v, want := range map[string][]string{"": {}, "4.1.0": {}, "3.13.0": {}, "3.12.1": {"one"}, "3.10.8": {"one", "two"}} {
		p := &Player{Scenario: sc, Model: routing.Model{Version: v}}
		if got := p.ForServer(st).Expect; !reflect.DeepEqual(got, want) {
			t.Errorf("server %q: expect %v, want %v", v, got, want)
		}
	}
}

func TestScoreReport(t *testing.T) {
	sc := quizScenario(t)
	q := NewQuiz(sc)
	p, _ := q.Parse("a b")
	q.Mark(played(sc, 0, false, "a", "b"), &p)
	rep := q.Report(false)
	if rep != (ScoreReport{Scenario: "q", Right: 1, Answered: 1, Steps: 5}) {
		t.Errorf("Report = %+v", rep)
	}
	for _, body := range []string{`{"scenario":"q","right":6,"answered":5,"steps":5}`, `{"right":1,"steps":5}`, `hello`} {
		if _, err := ParseScoreReport([]byte(body)); err == nil {
			t.Errorf("ParseScoreReport(%s) accepted", body)
		}
	}
	got, err := ParseScoreReport([]byte(`{"scenario":"topic","right":7,"answered":9,"steps":9,"final":true}`))
	if err != nil || got != (ScoreReport{Scenario: "topic", Right: 7, Answered: 9, Steps: 9, Final: true}) {
		t.Errorf("ParseScoreReport = %+v, %v", got, err)
	}
}
