package bench

import (
	"math/bits"
	"time"
)

// histogram records latencies in log-linear buckets: 64 buckets per power
// of two, so a percentile is within about 1.6% of the true value while the
// histogram stays a fixed 32 KiB however many messages are measured.
type histogram struct {
	counts [64 * 64]uint64
	total  uint64
}

const subBuckets = 64

func bucketOf(ns int64) int {
	if ns < subBuckets {
		if ns < 0 {
			return 0
		}
		return int(ns)
	}
	u := uint64(ns)
	exp := bits.Len64(u) - 7 // the shift that leaves 7 significant bits: 64..127
	return subBuckets + exp*subBuckets + int(u>>uint(exp)) - subBuckets
}

// lowerBound is the smallest value that falls into bucket i.
func lowerBound(i int) int64 {
	if i < subBuckets {
		return int64(i)
	}
	exp := (i - subBuckets) / subBuckets
	top := (i-subBuckets)%subBuckets + subBuckets
	return int64(top) << uint(exp)
}

func (h *histogram) record(d time.Duration) {
	i := bucketOf(int64(d))
	if i >= len(h.counts) {
		i = len(h.counts) - 1
	}
	h.counts[i]++
	h.total++
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
}

// percentile returns the latency below which p (0..100) percent of the
// recorded values fall, or 0 when nothing was recorded.
func (h *histogram) percentile(p float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(p / 100 * float64(h.total))
	if rank >= h.total {
		rank = h.total - 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen > rank {
			return time.Duration(lowerBound(i))
		}
	}
	return time.Duration(lowerBound(len(h.counts) - 1))
}
