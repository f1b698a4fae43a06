package tui

import (
	"fmt"
	"strings"

	"github.com/warrenmq/warren/scenarios/userupdate"
)

// onEvent is the services' callback. It runs on their goroutines: it copies
// what the page needs under f.mu, then asks for a render and a snapshot,
// neither of which blocks.
func (f *flowPage) onEvent(gen int, e userupdate.Event) {
	f.mu.Lock()
	if f.st.gen != gen {
		f.mu.Unlock()
		return
	}
	f.st.apply(e)
	f.st.log.push(logLine{At: e.Time, Color: flowColor(e), Text: flowLogText(e, f.st.names)})
	f.st.logSeen++
	f.mu.Unlock()
	f.queueRender()
	switch e.Kind {
	case userupdate.EventStored, userupdate.EventConfirmed, userupdate.EventReturned, userupdate.EventApplied,
		userupdate.EventDuplicate, userupdate.EventAcked, userupdate.EventRefused, userupdate.EventRolledBack,
		userupdate.EventCrashed, userupdate.EventConsumer, userupdate.EventState, userupdate.EventDeclared:
		// Something a store, the outbox or the queue's counts show changed.
		f.kickSnapshot()
	}
}

// apply moves the path along for one event. Callers hold f.mu.
func (s *flowState) apply(e userupdate.Event) {
	n := s.names
	id := strings.TrimPrefix(e.MessageID, "failed:")
	lit := func(stage int, color, detail string) {
		s.stages[stage] = flowStage{Detail: detail, MsgID: id, Color: color}
		if id != "" {
			s.focus = id
		}
	}
	profile := e.Service == "profile-service"
	s.addTrail(id, e)
	switch e.Kind {
	case userupdate.EventStored:
		s.request = fmt.Sprintf("POST /users/%d full_name=%s", e.UserID, e.FullName)
		lit(flowReq, "green", "201: users row + outbox row, one local transaction")
	case userupdate.EventPublished:
		lit(flowExchange, "aqua", "published "+e.RoutingKey+", waiting for the confirm")
	case userupdate.EventConfirmed:
		lit(flowExchange, "green", "confirmed: the outbox row is marked sent")
		lit(flowBinding, "green", e.RoutingKey+" matches "+n.ProfileBinding)
		lit(flowQueue, "green", "enqueued (persistent)")
	case userupdate.EventReturned:
		lit(flowExchange, "yellow", "returned: no queue bound yet; kept in the outbox")
		lit(flowBinding, "yellow", "no binding matched "+e.RoutingKey)
	case userupdate.EventDelivered:
		if !profile {
			s.setComp(2, flowStage{Detail: "compensation delivered to the user service", MsgID: id, Color: "yellow"})
			return
		}
		re, color := "", "green"
		if e.Redelivered {
			re, color = ", redelivered=true", "yellow"
		}
		lit(flowQueue, color, "delivered to the consumer"+re)
		lit(flowConsumer, color, fmt.Sprintf("delivery tag %d%s", e.DeliveryTag, re))
		s.stages[flowAck] = flowStage{Detail: "waiting for the ack", MsgID: id, Color: "gray"}
	case userupdate.EventApplied:
		re := ""
		if e.Redelivered {
			re = " (redelivered)"
		}
		lit(flowConsumer, "green", fmt.Sprintf("applied%s: profile version %d", re, e.Version))
	case userupdate.EventDuplicate:
		lit(flowConsumer, "yellow", "redelivered duplicate: already applied, acked, not applied again")
	case userupdate.EventAcked:
		if profile {
			lit(flowAck, "green", fmt.Sprintf("basic.ack delivery tag %d", e.DeliveryTag))
		}
	case userupdate.EventCrashed:
		s.crashArmed = false
		lit(flowConsumer, "red", "crashed: "+e.Note)
		lit(flowAck, "red", "no ack: the channel closed; the broker requeues the message, redelivered=true")
	case userupdate.EventRefused:
		s.refuseArmed = false
		reason := e.Reason
		if !strings.HasPrefix(reason, "refused") {
			reason = "refused: " + reason
		}
		lit(flowConsumer, "red", reason)
		lit(flowAck, "red", "basic.nack requeue=false: dead-lettered to "+shortName(n.DeadLetterQueue, n))
	case userupdate.EventCompensation:
		s.setComp(1, flowStage{Detail: "compensation: " + e.RoutingKey + " published", MsgID: id, Color: "yellow"})
	case userupdate.EventRolledBack:
		s.setComp(3, flowStage{Detail: "user service rolled back: " + rolledBackNote(e), MsgID: id, Color: "red"})
		s.focus = id
	case userupdate.EventConsumer:
		if profile {
			switch e.Consumer {
			case userupdate.ConsumerStopped:
				s.stages[flowConsumer] = flowStage{Detail: "stopped: messages wait, ready, in the queue", Color: "yellow"}
			case userupdate.ConsumerStarted:
				s.stages[flowConsumer] = flowStage{Detail: "running: basic.consume on the queue", Color: "green"}
			}
		}
	case userupdate.EventDeclared:
		if e.Queue == n.ProfileQueue {
			s.queueReady = true
		}
	}
}

func rolledBackNote(e userupdate.Event) string {
	if e.Restored != "" {
		return e.Restored
	}
	return fmt.Sprintf("user %d is %q again", e.UserID, e.FullName)
}

// shortConsumer is a consumer event's note without the consumer's tag,
// which the learner does not need.
func shortConsumer(e userupdate.Event) string {
	if e.ConsumerTag == "" {
		return e.Note
	}
	return strings.Replace(e.Note, " "+e.ConsumerTag, "", 1)
}

// shortName is a name (or a note naming things) without the page's unique
// prefix: the article's names, which the learner knows.
func shortName(s string, n userupdate.Names) string {
	p := flowNamePrefix(n)
	if p == "" {
		return s
	}
	return strings.ReplaceAll(s, p, "")
}

// flowNamePrefix is what UniqueNames put before the article's names.
func flowNamePrefix(n userupdate.Names) string {
	return strings.TrimSuffix(n.Exchange, userupdate.DefaultNames().Exchange)
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func flowColor(e userupdate.Event) string {
	switch e.Kind {
	case userupdate.EventError, userupdate.EventCrashed, userupdate.EventRefused, userupdate.EventRolledBack:
		return "red"
	case userupdate.EventReturned, userupdate.EventCompensation, userupdate.EventDuplicate:
		return "yellow"
	case userupdate.EventDelivered:
		if e.Redelivered {
			return "yellow"
		}
		return "white"
	case userupdate.EventApplied, userupdate.EventAcked, userupdate.EventConfirmed, userupdate.EventStored:
		return "green"
	case userupdate.EventState, userupdate.EventDeclared, userupdate.EventConsumer:
		return "aqua"
	}
	return "white"
}

// flowLogText is an event as one short log line (Event.String is the long one).
func flowLogText(e userupdate.Event, n userupdate.Names) string {
	var b strings.Builder
	svc := strings.TrimSuffix(e.Service, "-service")
	fmt.Fprintf(&b, "%-7s %s", svc, e.Kind)
	if e.UserID != 0 {
		fmt.Fprintf(&b, " user=%d", e.UserID)
	}
	if e.FullName != "" && e.Kind != userupdate.EventState && e.Kind != userupdate.EventDeclared {
		fmt.Fprintf(&b, " %q", truncateRunes(e.FullName, 30))
	}
	if e.Kind == userupdate.EventDeclared && e.Queue != "" {
		fmt.Fprintf(&b, " queue %s", shortName(e.Queue, n))
	} else if e.Kind == userupdate.EventDeclared && e.Exchange != "" {
		fmt.Fprintf(&b, " exchange %s", shortName(e.Exchange, n))
	}
	if e.MessageID != "" {
		fmt.Fprintf(&b, " msg=%s", shortID(strings.TrimPrefix(e.MessageID, "failed:")))
	}
	if e.DeliveryTag != 0 {
		fmt.Fprintf(&b, " tag=%d", e.DeliveryTag)
	}
	if e.Redelivered {
		b.WriteString(" redelivered")
	}
	switch e.Kind {
	case userupdate.EventDelivered, userupdate.EventPublished, userupdate.EventConfirmed, userupdate.EventStored:
		// The path pane says the rest.
	case userupdate.EventConsumer:
		b.WriteString(": " + shortConsumer(e))
	default:
		if e.Note != "" {
			b.WriteString(": " + shortName(e.Note, n))
		}
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// flowTrails bounds how many messages' trails are kept.
const flowTrails = 16

// addTrail records what happened to a message, for the path pane's
// "so far" line. Callers hold f.mu.
func (s *flowState) addTrail(id string, e userupdate.Event) {
	if id == "" {
		return
	}
	step := string(e.Kind)
	switch {
	case e.Kind == userupdate.EventDelivered && e.Service == "user-service":
		step = "compensation delivered"
	case e.Kind == userupdate.EventAcked && e.Service == "user-service":
		return
	case e.Redelivered && e.Kind == userupdate.EventDelivered:
		step = "redelivered"
	}
	if s.trails == nil {
		s.trails = map[string][]string{}
	}
	if _, ok := s.trails[id]; !ok {
		if len(s.trailOrder) == flowTrails {
			delete(s.trails, s.trailOrder[0])
			s.trailOrder = s.trailOrder[1:]
		}
		s.trailOrder = append(s.trailOrder, id)
	}
	t := s.trails[id]
	if len(t) >= 32 {
		return
	}
	if e.Kind == userupdate.EventPublished && len(t) > 0 && t[0] == string(userupdate.EventStored) {
		// The relay reports the publish once basic.publish has returned,
		// which can be after the consumer already reported the delivery:
		// put it where it happened.
		t = append(t[:1], append([]string{step}, t[1:]...)...)
		s.trails[id] = t
		return
	}
	s.trails[id] = append(t, step)
}

// setComp shows the compensation's progress. The services report its steps
// from different goroutines (the user service may roll back before the
// profile service has reported publishing it), so a later step of the same
// message is never replaced by an earlier one. Callers hold f.mu.
func (s *flowState) setComp(rank int, st flowStage) {
	if s.comp.MsgID == st.MsgID && s.compRank > rank {
		return
	}
	s.comp, s.compRank = st, rank
}
