// Package cells measures and cuts text by terminal cells: how many
// columns a string takes (wide runes count two, combining marks none) and
// how to shorten it to a width with a visible '…'. The TUI's panes, the
// diagram's boxes and labels and the diagram page all cut text this one
// way, so a label cut in one place reads like a label cut in another.
//
// It works on plain text: no colour tags, no escape sequences. It imports
// nothing of Warren's and no UI library, so warren diagram's paper output
// can use it too.
package cells
