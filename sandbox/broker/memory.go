package broker

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// The memory alarm, as RabbitMQ's vm_memory_high_watermark: when the
// process uses more than the watermark, publishing connections are
// blocked (connection.blocked) until it falls below again. It is on by
// default at 0.4 of the memory limit, RabbitMQ's default, where the limit
// is the cgroup's memory limit when the process runs in one (a container,
// a systemd scope) and the machine's RAM otherwise.
//
// What is measured is the memory the Go runtime holds from the system
// (runtime/metrics: total less what it released), close to what the
// kernel charges the process. A monitor goroutine reads it every
// memoryPollInterval. Garbage counts until it is collected, so while the
// alarm is on the monitor collects (and returns memory to the system) at
// most every alarmCollectEvery, or an alarm would outlive the messages
// that raised it.

// DefaultVMMemoryHighWatermark is RabbitMQ's default
// vm_memory_high_watermark: a fraction of the memory limit.
const DefaultVMMemoryHighWatermark = 0.4

const (
	memoryPollInterval = 100 * time.Millisecond
	alarmCollectEvery  = time.Second
)

// MemoryLimit is the memory this process may use: the smallest of its
// cgroup's limit (v2 or v1) and the machine's RAM, and where it comes
// from ("cgroup v2 memory.max", ...). 0 when none can be read.
func MemoryLimit() (int64, string) {
	limit, from := int64(0), ""
	if ram := totalRAM(); ram > 0 {
		limit, from = ram, "RAM"
	}
	if cg, src := cgroupLimit(); cg > 0 && (limit == 0 || cg < limit) {
		limit, from = cg, src
	}
	return limit, from
}

func totalRAM() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// cgroupLimit reads the memory limit of the process's own cgroup.
func cgroupLimit() (int64, string) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return 0, ""
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		var file, src string
		switch {
		case parts[0] == "0" && parts[1] == "":
			file, src = filepath.Join("/sys/fs/cgroup", parts[2], "memory.max"), "cgroup v2 memory.max"
		case strings.Contains(","+parts[1]+",", ",memory,"):
			file, src = filepath.Join("/sys/fs/cgroup/memory", parts[2], "memory.limit_in_bytes"), "cgroup v1 memory.limit_in_bytes"
		default:
			continue
		}
		v, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		s := strings.TrimSpace(string(v))
		if s == "max" {
			continue
		}
		n, err := strconv.ParseInt(s, 10, 64)
		// v1 says "no limit" with a huge number (page-rounded MaxInt64)
		if err == nil && n > 0 && n < 1<<60 {
			return n, src
		}
	}
	return 0, ""
}

// vmWatermark is the watermark in bytes from Options.VMMemoryHighWatermark;
// 0 when the alarm is off.
func vmWatermark(opt float64) (int64, string) {
	switch {
	case opt < 0:
		return 0, "off"
	case opt >= 1:
		return int64(opt), "absolute"
	}
	if opt == 0 {
		opt = DefaultVMMemoryHighWatermark
	}
	limit, from := MemoryLimit()
	if limit == 0 {
		return 0, "off: no memory limit could be read"
	}
	return int64(opt * float64(limit)), strconv.FormatFloat(opt, 'f', -1, 64) + " of " + from
}

// processMemory is what the Go runtime holds from the system.
func processMemory(samples []metrics.Sample) int64 {
	metrics.Read(samples)
	total := samples[0].Value.Uint64()
	released := samples[1].Value.Uint64()
	if released > total {
		return 0
	}
	return int64(total - released)
}

// memoryMonitor raises and clears the alarm from the process's memory
// use until the server shuts down.
func (s *Server) memoryMonitor(stop <-chan struct{}) {
	defer s.wg.Done()
	samples := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	t := time.NewTicker(memoryPollInterval)
	defer t.Stop()
	var collected time.Time
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		used := processMemory(samples)
		over := used > s.vmWatermark
		if over && s.memAlarm.Load() && time.Since(collected) >= alarmCollectEvery {
			// what was consumed is garbage until collected
			debug.FreeOSMemory()
			collected = time.Now()
			used = processMemory(samples)
			over = used > s.vmWatermark
		}
		s.vmUsed.Store(used)
		if over != s.vmOver.Load() {
			s.vmOver.Store(over)
			s.setAlarm(s.alarmWanted())
		}
	}
}
