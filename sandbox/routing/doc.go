// Package routing is Warren's model of AMQP 0-9-1 routing as RabbitMQ does
// it: given a topology and a message, where does the message go, and why.
//
// For every binding it considers, the model gives a verdict (matched or
// not) and a short human reason ("'*' matched 'orange'", "'lazy' != 'quick'
// at word 1", "x-match=all: header 'format' missing"). It follows the
// default exchange, exchange-to-exchange bindings (cycles allowed, each
// queue at most once) and alternate exchanges, and tells what becomes of an
// unroutable message (dropped, or returned when mandatory).
//
// # Which RabbitMQ
//
// Route answers as RabbitMQ 4.x does; Model{Version: v}.Route answers as
// version v does where versions differ. The rules are ported from
// rabbitmq-server's deps/rabbit/src (v3.10.8 and v4.3.5):
//   - rabbit_exchange:route/route1/process_alternate/process_route: a work
//     list of exchanges; an exchange whose own bindings yield no destination
//     at all (a binding to another exchange counts) hands the message to its
//     alternate exchange; exchanges already seen are skipped.
//   - topic (split_topic_key, trie_match): words split on '.', empty words
//     count, the empty key has no words; '*' is one word, '#' zero or more.
//     RabbitMQ's routing_SUITE topic1 table is a test here.
//   - headers: x-match all (default), any, all-with-x, any-with-x (3.10+);
//     x- arguments are skipped unless -with-x; a void argument tests
//     presence; any with nothing to compare matches nothing, all matches
//     everything. Before 3.13 values compare with Erlang's == (1 == 1.0),
//     since 3.13 with =:= (1 =/= 1.0) and a timestamp header routes in
//     milliseconds. Integer widths never matter.
//   - sender-selected distribution: CC and BCC header arrays add routing keys.
//
// Not modelled: policies (an alternate exchange set by policy rather than
// argument), exchange types from plugins, the main-branch limit of two '#'
// per topic binding key (not in any release yet), amq.rabbitmq.reply-to.
//
// # The notation
//
// FormatTable, FormatValue and ParseTable are Warren's one way of writing a
// field table for people (format=pdf, n:int=5, s="5", a:array=[x, :int=2],
// t:table={k=v}): every value shows its AMQP type unless it is a plain
// string, because the headers exchange compares types. ParseTable is its
// inverse, held so by a property test and a fuzz target, and TableKey is
// the canonical, type-aware key of a table that the broker, the TUI and
// the diagram tell bindings apart by. Reasons show values in it too.
//
// # Index
//
// TopicIndex is the trie the embedded broker routes topic exchanges with;
// its cost per message does not grow with the number of bindings, and a
// property test holds it equal to MatchTopic.
//
// The package is pure: no I/O, no goroutines, nothing of Warren's
// imported, no panics on any input. It must never reach out to a broker: on
// a live RabbitMQ, Warren compares this model's prediction with what was
// actually delivered, and a difference is shown, never hidden.
package routing
