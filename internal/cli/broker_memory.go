package cli

import (
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/warrenmq/warren/sandbox/broker"
)

// parseWatermark reads --memory-high-watermark: a fraction in (0, 1), a
// size with a unit (512MiB, 2GB, 1G) or in bytes, or "off" (as
// broker.Options.VMMemoryHighWatermark takes them: a negative number is
// off).
func parseWatermark(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "off") {
		return -1, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "eE") {
		switch {
		case f > 0 && f < 1:
			return f, nil
		case f >= 1<<20 && f == float64(int64(f)):
			return f, nil
		case f >= 1 && f == float64(int64(f)):
			return 0, fmt.Errorf("%d bytes is too small a watermark: give at least 1MiB (1048576), or a fraction such as 0.4", int64(f))
		}
		return 0, fmt.Errorf("want a fraction between 0 and 1 (e.g. 0.4), a size (512MiB, 2GB) or off")
	}
	units := []struct {
		suffix string
		mult   float64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
		{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40}, {"B", 1}}
	for _, u := range units {
		num, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			num, ok = strings.CutSuffix(s, strings.ToLower(u.suffix))
		}
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil || f <= 0 || f*u.mult < 1<<20 {
			return 0, fmt.Errorf("want a size of at least 1MiB, such as 512MiB or 2GB")
		}
		return f * u.mult, nil
	}
	return 0, fmt.Errorf("want a fraction between 0 and 1 (e.g. 0.4), a size (512MiB, 2GB) or off")
}

// softLimit gives the Go runtime a soft memory limit of 90% of the
// process's memory limit, unless GOMEMLIMIT says otherwise, so that the
// collector works harder as a full cgroup nears instead of letting
// garbage grow into an out-of-memory kill.
func softLimit() {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	if limit, _ := broker.MemoryLimit(); limit > 0 {
		debug.SetMemoryLimit(limit / 10 * 9)
	}
}
