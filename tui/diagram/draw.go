package diagram

// Draw lays the input out and paints it: what `warren diagram` prints.
func Draw(in *Input, opt Options) (*Layout, *Canvas) {
	l := NewLayout(in, opt)
	return l, l.Paint(in, Paint{})
}
