package scenarios

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/warrenmq/warren/sandbox/routing"
)

// A quiz plays a scenario predict-then-reveal: before a step's message is
// published the learner says what will become of it (Quiz.Parse reads that
// from a line of text), the step is played as usual (Player.Play), and
// Quiz.Mark holds the prediction against what the broker did, keeping the
// score. `warren run --quiz` and the TUI's quiz both judge with it, so they
// never disagree on what was right.
//
// A prediction names the queues that get a copy. Besides queue names it
// may use these words (any case):
//
//	none, dropped, drop, -   no queue gets it, and it is not returned
//	                         (the same as naming no queue: an empty line)
//	returned, return         no queue gets it; the broker returns it to
//	                         the publisher (mandatory: basic.return 312)
//	alternate, ae            the exchange could not route it and its
//	                         alternate exchange took it (to the queues named)
//
// and the name of one of the scenario's consumers, meaning that consumer
// (and so its queue) gets it. A step with expect_consumers asks who: its
// answer must name the consumer for each queue it lists.

// PredictionWords are the words a prediction may use besides names, each
// with the synonyms Parse accepts (the first is the one to show).
var PredictionWords = map[string][]string{
	"none":      {"none", "dropped", "drop", "-"},
	"returned":  {"returned", "return"},
	"alternate": {"alternate", "ae"},
}

// Prediction is what a learner says becomes of a step's message, or (as
// Mark's Truth) what did.
type Prediction struct {
	// Queues get a copy; sorted, each once.
	Queues []string
	// Consumers maps a queue to the consumers named for it (sorted): the
	// learner said who gets the message from that queue.
	Consumers map[string][]string
	// Returned: the broker hands the message back to the publisher.
	Returned bool
	// Alternate: the exchange's alternate exchange took the message.
	Alternate bool
}

// String is the prediction as a learner could type it back ("Q1, Q2",
// "none", "returned", "alternate orders_lost_and_found", "worker-2"),
// which is also how a reveal shows the right answer.
func (p Prediction) String() string {
	var words []string
	if p.Returned {
		words = append(words, "returned")
	}
	if p.Alternate {
		words = append(words, "alternate")
	}
	for _, q := range p.Queues {
		if cs := p.Consumers[q]; len(cs) > 0 {
			words = append(words, cs...)
			continue
		}
		words = append(words, q)
	}
	if len(words) == 0 {
		return "none"
	}
	return strings.Join(words, ", ")
}

// Describe says the prediction in words: "Q1 and Q2", "no queue (dropped)",
// "returned to the publisher", "tasks (consumer worker-2)".
func (p Prediction) Describe() string {
	var qs []string
	for _, q := range p.Queues {
		if cs := p.Consumers[q]; len(cs) > 0 {
			q += " (consumer " + strings.Join(cs, ", ") + ")"
		}
		qs = append(qs, q)
	}
	switch {
	case p.Returned:
		return "returned to the publisher"
	case len(qs) == 0 && p.Alternate:
		return "taken by the alternate exchange, to no queue"
	case len(qs) == 0:
		return "no queue (dropped)"
	case p.Alternate:
		return andList(qs) + ", through the alternate exchange"
	}
	return andList(qs)
}

func andList(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

// Mark is one step of a quiz, judged.
type Mark struct {
	Step     int // 1-based
	Answered bool
	// Prediction is what the learner said (zero when not Answered).
	Prediction Prediction
	// Truth is what the broker did, in the same terms.
	Truth Prediction
	Right bool
	// Wrong says what the prediction got wrong, a phrase each ("Q2 got
	// no copy", "it was returned to the publisher").
	Wrong []string
}

// Quiz keeps the score of a scenario played predict-then-reveal. It does
// no I/O; the caller reads the learner's lines and plays the steps. Not
// safe for concurrent use.
type Quiz struct {
	Scenario *Scenario
	marks    map[int]Mark // by step, 1-based
}

// NewQuiz starts a quiz on sc with no step marked.
func NewQuiz(sc *Scenario) *Quiz { return &Quiz{Scenario: sc, marks: map[int]Mark{}} }

// Question is what to ask before step i (0-based) is published: the step's
// quiz text, else a question that shows the message (exchange and its
// type, routing key, headers, mandatory) and asks where it goes.
func (q *Quiz) Question(i int) string {
	st := q.Scenario.Steps[i]
	if s := strings.TrimSpace(st.Quiz); s != "" {
		return s
	}
	pub := st.Publish
	ex := "the default exchange"
	if pub.Exchange != "" {
		ex = fmt.Sprintf("exchange %s", pub.Exchange)
		for _, x := range q.Scenario.Topology.Exchanges {
			if x.Name == pub.Exchange {
				ex += fmt.Sprintf(" (%s)", x.Type)
			}
		}
	}
	msg := fmt.Sprintf("A message is published to %s with routing key %q", ex, pub.RoutingKey)
	if len(pub.Headers) > 0 {
		msg += " and headers {" + routing.FormatTable(pub.Headers) + "}"
	} else if q.headersExchange(pub.Exchange) {
		msg += " and no headers"
	}
	if pub.Mandatory {
		msg += ", mandatory"
	}
	ask := "Which queues get a copy?"
	if who := asksWho(st); len(who) > 0 {
		ask = fmt.Sprintf("Which queues get it, and which consumer of %s?", andList(who))
	}
	return msg + ". " + ask
}

func (q *Quiz) headersExchange(name string) bool {
	for _, x := range q.Scenario.Topology.Exchanges {
		if x.Name == name {
			return x.Type == routing.Headers
		}
	}
	return false
}

// asksWho lists the queues whose consumer the step's answer must name.
func asksWho(st Step) []string {
	return sortedKeys(st.ExpectConsumers)
}

// Hint is step i's hint (0-based), "" when it has none.
func (q *Quiz) Hint(i int) string { return strings.TrimSpace(q.Scenario.Steps[i].Hint) }

// Help says how to answer: the scenario's queue (and consumer) names and
// the words a prediction may use.
func (q *Quiz) Help() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Answer with the queues that get a copy, separated by commas or spaces (%s)", strings.Join(q.queueNames(), ", "))
	if cs := q.consumerNames(); len(cs) > 0 {
		fmt.Fprintf(&b, ", or the consumer that gets it (%s)", strings.Join(cs, ", "))
	}
	b.WriteString(`; an empty line or "none" when no queue gets it (dropped); "returned" when the broker hands it back to the publisher; "alternate" with the queues when the exchange's alternate exchange takes it.`)
	return b.String()
}

func (q *Quiz) queueNames() []string {
	var out []string
	for _, x := range q.Scenario.Topology.Queues {
		out = append(out, x.Name)
	}
	return out
}

func (q *Quiz) consumerNames() []string {
	var out []string
	for _, c := range q.Scenario.Consumers {
		out = append(out, c.Name)
	}
	return out
}

// PredictionError is a prediction Parse cannot read: a name that is not a
// queue or consumer of the scenario, or words that contradict each other.
type PredictionError struct {
	Msg string
}

func (e *PredictionError) Error() string { return e.Msg }

// Parse reads a prediction from a line: names and words separated by
// commas or spaces; an empty line predicts that no queue gets the message.
// A queue's name wins over a word spelled the same.
func (q *Quiz) Parse(line string) (Prediction, error) {
	fields := strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == ';' })
	queues := map[string]bool{}
	for _, x := range q.Scenario.Topology.Queues {
		queues[x.Name] = true
	}
	consumerQueue := map[string]string{}
	for _, c := range q.Scenario.Consumers {
		consumerQueue[c.Name] = c.Queue
	}
	var p Prediction
	var none bool
	seen := map[string]bool{}
	for _, f := range fields {
		switch {
		case queues[f]:
			seen[f] = true
		case consumerQueue[f] != "":
			qn := consumerQueue[f]
			seen[qn] = true
			if p.Consumers == nil {
				p.Consumers = map[string][]string{}
			}
			if !slices.Contains(p.Consumers[qn], f) {
				p.Consumers[qn] = append(p.Consumers[qn], f)
				sort.Strings(p.Consumers[qn])
			}
		case isWord("none", f):
			none = true
		case isWord("returned", f):
			p.Returned = true
		case isWord("alternate", f):
			p.Alternate = true
		default:
			return Prediction{}, &PredictionError{Msg: q.unknownName(f)}
		}
	}
	for n := range seen {
		p.Queues = append(p.Queues, n)
	}
	sort.Strings(p.Queues)
	switch {
	case none && len(p.Queues) > 0:
		return Prediction{}, &PredictionError{Msg: fmt.Sprintf(`"none" and %s: say either the queues that get it or none`, andList(p.Queues))}
	case none && (p.Returned || p.Alternate):
		return Prediction{}, &PredictionError{Msg: `"none" means dropped: not returned, and not taken by an alternate exchange; say one of them`}
	case p.Returned && len(p.Queues) > 0:
		return Prediction{}, &PredictionError{Msg: fmt.Sprintf(`"returned" and %s: a message is returned only when no queue gets it`, andList(p.Queues))}
	case p.Returned && p.Alternate:
		return Prediction{}, &PredictionError{Msg: `"returned" and "alternate": a message the alternate exchange takes is not returned (unless it routes it nowhere); say returned, or alternate and its queues`}
	}
	return p, nil
}

func isWord(word, s string) bool {
	return slices.Contains(PredictionWords[word], strings.ToLower(s))
}

func (q *Quiz) unknownName(f string) string {
	msg := fmt.Sprintf("%q is not a queue of scenario %s; its queues are %s", f, q.Scenario.Name, strings.Join(q.queueNames(), ", "))
	if cs := q.consumerNames(); len(cs) > 0 {
		msg += "; its consumers " + strings.Join(cs, ", ")
	}
	for _, n := range append(q.queueNames(), q.consumerNames()...) {
		if strings.EqualFold(n, f) {
			msg += fmt.Sprintf(" (names are case-sensitive: %s)", n)
		}
	}
	return msg + `; or say none, returned, alternate`
}

// Truth is what became of a played step's message, as a Prediction would
// say it: the queues that got a copy, which of the scenario's consumers
// got it (observers, the consumers Warren starts on the other queues, are
// not named), whether the broker returned it, whether the alternate
// exchange took it (the model's route, when it agrees with the broker).
func (q *Quiz) Truth(r StepResult) Prediction {
	t := Prediction{Queues: slices.Compact(append([]string{}, r.Delivered...)), Returned: r.Returned}
	sort.Strings(t.Queues)
	named := q.consumerNames()
	for qn, cs := range r.ConsumedBy {
		var names []string
		for _, c := range strings.Split(cs, ",") {
			if slices.Contains(named, c) {
				names = append(names, c)
			}
		}
		if len(names) == 0 {
			continue
		}
		if t.Consumers == nil {
			t.Consumers = map[string][]string{}
		}
		sort.Strings(names)
		t.Consumers[qn] = slices.Compact(names)
	}
	model := append([]string{}, r.Model.Queues...)
	sort.Strings(model)
	t.Alternate = r.Model.Fate == routing.Alternate && slices.Equal(model, t.Queues)
	return t
}

// Mark judges prediction p (nil: the learner gave no answer) for the
// played step r and records it, replacing an earlier mark of the same
// step (a step played again).
//
// It is right when p names exactly the queues that got a copy; says
// returned exactly when the broker returned it; says alternate only when
// the alternate exchange took it (it may leave that unsaid); and names the
// right consumer wherever it names one, and for every queue the step asks
// about (expect_consumers).
func (q *Quiz) Mark(r StepResult, p *Prediction) Mark {
	m := Mark{Step: r.Index, Truth: q.Truth(r)}
	if p == nil {
		m.Wrong = []string{"no answer"}
		q.marks[r.Index] = m
		return m
	}
	m.Answered, m.Prediction = true, *p
	t := m.Truth
	for _, qn := range t.Queues {
		if !slices.Contains(p.Queues, qn) {
			m.Wrong = append(m.Wrong, qn+" got a copy too")
		}
	}
	for _, qn := range p.Queues {
		if !slices.Contains(t.Queues, qn) {
			m.Wrong = append(m.Wrong, qn+" got no copy")
		}
	}
	switch {
	case t.Returned && !p.Returned:
		m.Wrong = append(m.Wrong, "it was returned to the publisher")
	case !t.Returned && p.Returned:
		m.Wrong = append(m.Wrong, "it was not returned")
	}
	if p.Alternate && !t.Alternate {
		m.Wrong = append(m.Wrong, "no alternate exchange took it")
	}
	for _, qn := range p.Queues {
		said, got := p.Consumers[qn], t.Consumers[qn]
		asked := slices.Contains(asksWho(r.Step), qn)
		if !slices.Contains(t.Queues, qn) || (len(said) == 0 && !asked) {
			continue
		}
		switch {
		case len(said) == 0:
			m.Wrong = append(m.Wrong, fmt.Sprintf("the step asks which consumer of %s: it was %s", qn, strings.Join(got, ", ")))
		case !slices.Equal(said, got):
			m.Wrong = append(m.Wrong, fmt.Sprintf("%s got it from %s, not %s", strings.Join(got, ", "), qn, strings.Join(said, ", ")))
		}
	}
	m.Right = len(m.Wrong) == 0
	q.marks[r.Index] = m
	return m
}

// Unmark forgets the mark of step (1-based), as if it had not been
// played: the TUI's step back plays it again.
func (q *Quiz) Unmark(step int) { delete(q.marks, step) }

// MarkOf is the mark of step (1-based), if it has one.
func (q *Quiz) MarkOf(step int) (Mark, bool) {
	m, ok := q.marks[step]
	return m, ok
}

// Marks are the steps marked so far, in step order.
func (q *Quiz) Marks() []Mark {
	out := make([]Mark, 0, len(q.marks))
	for _, m := range q.marks {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Step < out[j].Step })
	return out
}

// Score counts the steps marked right, and how many are marked.
func (q *Quiz) Score() (right, marked int) {
	for _, m := range q.marks {
		if m.Right {
			right++
		}
	}
	return right, len(q.marks)
}

// ScoreLine is the quiz's last line (a contract): "score: K/N", N the
// scenario's steps; a step not marked counts as not answered.
func (q *Quiz) ScoreLine() string {
	right, _ := q.Score()
	return fmt.Sprintf("score: %d/%d", right, len(q.Scenario.Steps))
}
