package engine

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// TimingEnv turns on the hot path's timing spans when set to "1" (the CLI's
// --debug-timing sets it). The engine passes its environment to the monitor
// it spawns, so a monitor started by a timed command logs its spans to
// <runroot>/monitor/timing.log; a monitor already running keeps whatever
// it was started with.
const TimingEnv = "ONGGI_DEBUG_TIMING"

// timing is the process's span sink. Off (the default) a span costs one
// branch: the path being measured must not pay for its measurement.
var timing = struct {
	mu sync.Mutex
	on bool
	w  io.Writer
	t0 time.Time // package initialisation: close to the process's start
}{on: os.Getenv(TimingEnv) == "1", w: os.Stderr, t0: time.Now()}

// EnableTiming turns the spans on for this process and for the monitor it
// spawns (through the environment).
func EnableTiming() {
	timing.mu.Lock()
	timing.on = true
	timing.mu.Unlock()
	_ = os.Setenv(TimingEnv, "1")
}

func timingOn() bool {
	timing.mu.Lock()
	defer timing.mu.Unlock()
	return timing.on
}

func setTimingWriter(w io.Writer) {
	timing.mu.Lock()
	timing.w = w
	timing.mu.Unlock()
}

func noSpan() {}

// Span starts a named span of the hot path; calling the result ends it and
// prints "timing <pid> <name> at=<ms since start> took=<ms>".
func Span(name string) (end func()) {
	if !timingOn() {
		return noSpan
	}
	start := time.Now()
	return func() { logSpan(name, start, time.Now()) }
}

// Mark prints a point event (the end of process start-up, say).
func Mark(name string) {
	if timingOn() {
		now := time.Now()
		logSpan(name, now, now)
	}
}

func logSpan(name string, start, end time.Time) {
	timing.mu.Lock()
	defer timing.mu.Unlock()
	fmt.Fprintf(timing.w, "timing %d %-28s at=%8.3fms took=%7.3fms\n", os.Getpid(), name,
		ms(start.Sub(timing.t0)), ms(end.Sub(start)))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
