package monitor

import (
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/runtime/driver"
)

// Docker's health check defaults and limits.
const (
	defaultHealthInterval = 30 * time.Second
	defaultHealthTimeout  = 30 * time.Second
	defaultStartInterval  = 5 * time.Second
	defaultHealthRetries  = 3
	maxHealthOutput       = 4096
	maxHealthLog          = 5
)

// healthRun is the health checker of one run.
type healthRun struct {
	cancel, done chan struct{}
}

// stop ends the checks (killing one in progress) and waits for the end.
func (h *healthRun) stop() {
	close(h.cancel)
	<-h.done
}

// healthDefaults fills in docker's defaults for zero durations.
func healthDefaults(h HealthConfig) HealthConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&h.Interval, defaultHealthInterval)
	def(&h.Timeout, defaultHealthTimeout)
	def(&h.StartInterval, defaultStartInterval)
	if h.Retries <= 0 {
		h.Retries = defaultHealthRetries
	}
	return h
}

// startHealth resets the status to starting and starts the checks.
func (c *ctr) startHealth(r *run) *healthRun {
	h := &healthRun{cancel: make(chan struct{}), done: make(chan struct{})}
	c.mu.Lock()
	c.health.Status, c.health.FailingStreak = ctypes.Starting, 0
	snap := c.healthSnapshot()
	c.mu.Unlock()
	c.recordHealth(snap)
	go c.healthLoop(r, h, healthDefaults(*c.spec.Health))
	return h
}

func (c *ctr) healthLoop(r *run, h *healthRun, cfg HealthConfig) {
	defer close(h.done)
	for {
		t := time.NewTimer(c.healthInterval(r, cfg))
		select {
		case <-h.cancel:
			t.Stop()
			return
		case <-t.C:
		}
		res, ok := c.probe(cfg, h.cancel)
		if !ok {
			return
		}
		c.healthResult(r, cfg, res)
	}
}

// healthInterval is docker 25's: StartInterval while starting within the
// start period, Interval otherwise.
func (c *ctr) healthInterval(r *run, cfg HealthConfig) time.Duration {
	if time.Since(r.started) >= cfg.StartPeriod {
		return cfg.Interval
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.health.Status == ctypes.Starting {
		return cfg.StartInterval
	}
	return cfg.Interval
}

// probe runs the test once in the container; ok is false when cancelled.
func (c *ctr) probe(cfg HealthConfig, cancel <-chan struct{}) (ctypes.HealthcheckResult, bool) {
	res := ctypes.HealthcheckResult{Start: time.Now(), ExitCode: -1}
	rd, wr, err := os.Pipe()
	if err != nil {
		res.End, res.Output = time.Now(), err.Error()
		return res, true
	}
	defer rd.Close()
	p := *c.proc
	p.Args, p.Terminal, p.ConsoleSize = cfg.Test, false, nil
	proc, err := c.drv.Exec(c.spec.ID, &p, driver.IO{Stdout: wr, Stderr: wr}, false)
	wr.Close()
	if err != nil {
		res.End, res.Output = time.Now(), err.Error()
		return res, true
	}
	out := make(chan string, 1)
	go func() { out <- readCapped(rd, maxHealthOutput) }()
	exited := make(chan int, 1)
	go func() { code, _ := proc.Wait(); exited <- code }()
	timer := time.NewTimer(cfg.Timeout)
	defer timer.Stop()
	select {
	case res.ExitCode = <-exited:
	case <-timer.C:
		syscall.Kill(proc.Pid(), syscall.SIGKILL)
		<-exited
		res.End, res.ExitCode = time.Now(), -1
		res.Output = fmt.Sprintf("Health check exceeded timeout (%v)", cfg.Timeout)
		return res, true
	case <-cancel:
		syscall.Kill(proc.Pid(), syscall.SIGKILL)
		<-exited
		return res, false
	}
	// A background child of the test may hold the pipe: don't wait for it.
	_ = rd.SetReadDeadline(time.Now().Add(time.Second))
	res.Output, res.End = <-out, time.Now()
	return res, true
}

// readCapped reads r to its end, keeping the first max bytes.
func readCapped(r io.Reader, max int) string {
	buf := make([]byte, 0, 512)
	chunk := make([]byte, 1024)
	for {
		n, err := r.Read(chunk)
		if room := max - len(buf); n > 0 && room > 0 {
			buf = append(buf, chunk[:min(n, room)]...)
		}
		if err != nil {
			return string(buf)
		}
	}
}

// healthResult applies docker's status machine: a success makes the
// container healthy; failures while still starting within the start period
// do not count; Retries consecutive failures make it unhealthy.
func (c *ctr) healthResult(r *run, cfg HealthConfig, res ctypes.HealthcheckResult) {
	c.mu.Lock()
	h := &c.health
	h.Log = append(h.Log, &res)
	if len(h.Log) > maxHealthLog {
		h.Log = append([]*ctypes.HealthcheckResult(nil), h.Log[len(h.Log)-maxHealthLog:]...)
	}
	if res.ExitCode == 0 {
		h.FailingStreak, h.Status = 0, ctypes.Healthy
	} else if h.Status != ctypes.Starting || res.Start.Sub(r.started) >= cfg.StartPeriod {
		h.FailingStreak++
		if h.FailingStreak >= cfg.Retries {
			h.Status = ctypes.Unhealthy
		}
	}
	snap := c.healthSnapshot()
	c.mu.Unlock()
	c.recordHealth(snap)
}

// healthSnapshot copies the health for the hook; c.mu is held.
func (c *ctr) healthSnapshot() ctypes.Health {
	h := c.health
	h.Log = append([]*ctypes.HealthcheckResult(nil), h.Log...)
	return h
}

func (c *ctr) recordHealth(h ctypes.Health) {
	c.hookMu.Lock()
	defer c.hookMu.Unlock()
	if hook := c.s.cfg.Hooks.Health; hook != nil {
		if err := hook(c.spec.ID, h); err != nil {
			c.s.cfg.Logf("monitor: recording health of %s: %v", c.spec.ID, err)
		}
	}
}
