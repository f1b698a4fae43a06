package bench

import (
	"testing"
	"time"
)

func TestBucketsCoverValuesInOrder(t *testing.T) {
	prev := -1
	for _, ns := range []int64{0, 1, 63, 64, 65, 127, 128, 1000, 1 << 20, 1<<20 + 1, int64(time.Second), int64(time.Hour)} {
		i := bucketOf(ns)
		if i < prev {
			t.Fatalf("bucket of %d is %d, before the previous value's %d", ns, i, prev)
		}
		prev = i
		lb := lowerBound(i)
		if lb > ns || float64(ns-lb) > 0.02*float64(ns)+1 {
			t.Errorf("value %d in bucket %d whose lower bound is %d", ns, i, lb)
		}
	}
}

func TestPercentiles(t *testing.T) {
	var h histogram
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Microsecond)
	}
	tests := []struct {
		p    float64
		want time.Duration
	}{
		{50, 500 * time.Microsecond},
		{99, 990 * time.Microsecond},
		{100, 1000 * time.Microsecond},
	}
	for _, tt := range tests {
		got := h.percentile(tt.p)
		if diff := got - tt.want; diff < -tt.want/50 || diff > tt.want/50 {
			t.Errorf("p%v = %v, want %v within 2%%", tt.p, got, tt.want)
		}
	}
	var empty histogram
	if empty.percentile(50) != 0 {
		t.Error("an empty histogram has a median")
	}
}
