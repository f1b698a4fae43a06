// Package diagram draws an AMQP topology as a flow diagram in a grid of
// character cells: the publisher, the exchanges (by exchange-to-exchange
// depth), the queues and their consumers, left to right, joined by
// box-drawing lines labelled with each binding's routing key or header
// arguments; alternate-exchange and dead-letter edges are dashed. Given the
// routing model's explanation of one message, it marks the path: bindings
// that matched (✓), those considered that did not (✗), the queues that got
// a copy.
//
// The layout is layered (Sugiyama-style) and ours: layers by depth,
// crossings cut by barycentre ordering, rows placed by isotonic regression,
// and every edge routed orthogonally on the grid by a shortest-path search
// that never enters a box, a label or another edge's length (edges may
// cross, at right angles). When the diagram does not fit the width and
// height asked for, it tries more compact forms (tighter rows, shortened
// labels with footnotes, no publisher box); Diagram.Fits says whether one
// fitted, and a caller that shows it in a smaller space scrolls.
//
// The output is a Canvas of cells, each a grapheme and a semantic Style;
// the terminal UI maps styles to its colours, `warren diagram` prints the
// same canvas as plain text (or with ANSI colours on a terminal). It is the
// one rendering code for both.
//
// It must never import tview or tcell (so that the CLI and tests can use
// it without a terminal), never do I/O, and never panic on any topology:
// cycles of exchange-to-exchange bindings, self-bindings, queues nobody
// reaches and arguments naming exchanges that do not exist are drawn as
// what they are.
//
// # Concurrency
//
// Nothing here starts a goroutine. A Renderer caches its last layout and
// is for one goroutine at a time; Layout and Canvas values are not changed
// after they are returned and may be read from several goroutines.
package diagram
