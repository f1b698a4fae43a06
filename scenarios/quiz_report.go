package scenarios

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/warrenmq/warren/sandbox"
)

// How a quiz's score reaches the teacher of a class: `warren class`
// declares the durable queue ScoresQueue in every student's vhost and
// reads it. A quiz that finds that queue in the vhost it plays in (a
// passive queue.declare when it starts) publishes a ScoreReport there,
// through the default exchange, after every answer and once at the end;
// without it the quiz publishes nothing. The report is JSON, content type
// application/json.

// ScoresQueue is the queue a class's scores are published to.
const ScoresQueue = "warren.class.scores"

// ScoreReport is one score message.
type ScoreReport struct {
	Scenario string `json:"scenario"`
	Right    int    `json:"right"`    // steps answered right so far
	Answered int    `json:"answered"` // steps marked so far (answered or not)
	Steps    int    `json:"steps"`    // the scenario's steps
	Final    bool   `json:"final"`    // the quiz is over: Right of Steps is the score
}

// Report is the quiz's score as a report; final says the quiz is over.
func (q *Quiz) Report(final bool) ScoreReport {
	right, marked := q.Score()
	return ScoreReport{Scenario: q.Scenario.Name, Right: right, Answered: marked, Steps: len(q.Scenario.Steps), Final: final}
}

// ScoreSession is what a ScoreReporter uses of a *sandbox.Session.
type ScoreSession interface {
	QueueStats(ctx context.Context, queue string) (sandbox.QueueStats, error)
	Publish(ctx context.Context, p sandbox.Publishing) (sandbox.Published, error)
}

// ScoreReporter publishes a quiz's scores to its class, when the vhost
// belongs to one. Not safe for concurrent use.
type ScoreReporter struct {
	s  ScoreSession
	on bool
}

// NewScoreReporter looks for ScoresQueue on s's vhost. A broker that is
// not a class's (no such queue) makes a reporter that does nothing.
func NewScoreReporter(ctx context.Context, s ScoreSession) *ScoreReporter {
	_, err := s.QueueStats(ctx, ScoresQueue)
	return &ScoreReporter{s: s, on: err == nil}
}

// Enabled says whether scores are published: the vhost is a class's.
func (r *ScoreReporter) Enabled() bool { return r != nil && r.on }

// Report publishes rep to the class (nothing when not Enabled).
func (r *ScoreReporter) Report(ctx context.Context, rep ScoreReport) error {
	if !r.Enabled() {
		return nil
	}
	body, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	pub, err := r.s.Publish(ctx, sandbox.Publishing{Exchange: "", RoutingKey: ScoresQueue, Body: body,
		ContentType: "application/json"})
	if err == nil && pub.Returned != nil {
		err = errors.New("the class's score queue is gone")
	}
	return err
}

// ParseScoreReport reads a score message's body.
func ParseScoreReport(body []byte) (ScoreReport, error) {
	var rep ScoreReport
	if err := json.Unmarshal(body, &rep); err != nil {
		return rep, err
	}
	if rep.Scenario == "" || rep.Steps <= 0 || rep.Right < 0 || rep.Right > rep.Steps || rep.Answered > rep.Steps {
		return rep, errors.New("not a score report")
	}
	return rep, nil
}
