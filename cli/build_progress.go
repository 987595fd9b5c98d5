package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/onggi/onggi/builder"
	"github.com/onggi/onggi/errdefs"
	"golang.org/x/term"
)

// buildProgress renders build events: "plain" (BuildKit's --progress=plain
// lines), "tty" (a live view redrawn in place), or "quiet" (nothing, but
// a failing step's output is still kept for the error report).
type buildProgress struct {
	mu      sync.Mutex
	w       io.Writer
	mode    string
	start   time.Time
	order   []int
	steps   map[int]*stepView
	partial map[int][]byte // plain: unterminated output per vertex
	lines   int            // tty: lines drawn last time
	stop    chan struct{}
	done    chan struct{}
}

// stepView is a vertex as the tty view shows it.
type stepView struct {
	name    string
	start   time.Time
	elapsed time.Duration
	state   builder.EventKind
	logs    []string
}

func newBuildProgress(w io.Writer, mode string) (*buildProgress, error) {
	if mode == "auto" || mode == "" {
		mode = "plain"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			mode = "tty"
		}
	}
	switch mode {
	case "plain", "tty", "quiet":
	default:
		return nil, errdefs.Errorf(errdefs.ErrInvalid, "invalid progress mode %q (auto, plain, tty, quiet)", mode)
	}
	p := &buildProgress{w: w, mode: mode, start: time.Now(), steps: map[int]*stepView{}, partial: map[int][]byte{}}
	if mode == "tty" {
		p.stop, p.done = make(chan struct{}), make(chan struct{})
		go p.redrawLoop()
	}
	return p, nil
}

func (p *buildProgress) event(ev builder.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.steps[ev.Vertex]
	if !ok && ev.Kind != builder.EventWarning {
		s = &stepView{name: ev.Name, start: ev.Time}
		p.steps[ev.Vertex] = s
		p.order = append(p.order, ev.Vertex)
	}
	if s != nil && ev.Kind != builder.EventLog {
		s.state, s.elapsed = ev.Kind, ev.Elapsed
	}
	switch p.mode {
	case "plain":
		p.plain(ev)
	case "tty":
		if ev.Kind == builder.EventLog {
			s.logs = appendLines(s.logs, ev.Data, 6)
		}
	}
}

// plain writes one event as BuildKit's plain output does.
func (p *buildProgress) plain(ev builder.Event) {
	n := ev.Vertex
	switch ev.Kind {
	case builder.EventStart:
		fmt.Fprintf(p.w, "\n#%d %s\n", n, ev.Name)
	case builder.EventLog:
		buf := append(p.partial[n], ev.Data...)
		t := ev.Time.Sub(p.steps[n].start).Seconds()
		for {
			i := bytes.IndexByte(buf, '\n')
			if i < 0 {
				break
			}
			fmt.Fprintf(p.w, "#%d %.3f %s\n", n, t, buf[:i])
			buf = buf[i+1:]
		}
		p.partial[n] = buf
	case builder.EventCached:
		fmt.Fprintf(p.w, "#%d CACHED\n", n)
	case builder.EventDone:
		p.flushPartial(n)
		fmt.Fprintf(p.w, "#%d DONE %.1fs\n", n, ev.Elapsed.Seconds())
	case builder.EventError:
		p.flushPartial(n)
		fmt.Fprintf(p.w, "#%d ERROR: %v\n", n, ev.Err)
	case builder.EventWarning:
		fmt.Fprintf(p.w, "%s\n", ev.Data)
	}
}

func (p *buildProgress) flushPartial(n int) {
	if b := p.partial[n]; len(b) > 0 {
		fmt.Fprintf(p.w, "#%d %s\n", n, b)
		delete(p.partial, n)
	}
}

func appendLines(logs []string, data []byte, keep int) []string {
	for _, l := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		logs = append(logs, l)
	}
	if len(logs) > keep {
		logs = logs[len(logs)-keep:]
	}
	return logs
}

// redrawLoop redraws the tty view ten times a second until close.
func (p *buildProgress) redrawLoop() {
	defer close(p.done)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			p.mu.Lock()
			p.redraw(true)
			p.mu.Unlock()
			return
		case <-t.C:
			p.mu.Lock()
			p.redraw(false)
			p.mu.Unlock()
		}
	}
}

// redraw moves the cursor up over the last view and draws the new one:
// a header, a line per vertex, and a running step's last output lines.
func (p *buildProgress) redraw(final bool) {
	var b strings.Builder
	if p.lines > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", p.lines)
	}
	done := 0
	for _, n := range p.order {
		if s := p.steps[n]; s.state == builder.EventDone || s.state == builder.EventCached {
			done++
		}
	}
	lines := 0
	line := func(format string, args ...any) {
		fmt.Fprintf(&b, "\x1b[2K"+format+"\n", args...)
		lines++
	}
	state := "Building"
	if final {
		state = "Finished"
	}
	line("[+] %s %.1fs (%d/%d)", state, time.Since(p.start).Seconds(), done, len(p.order))
	for _, n := range p.order {
		s := p.steps[n]
		switch s.state {
		case builder.EventCached:
			line(" => CACHED %s", s.name)
		case builder.EventDone:
			line(" => %s  %.1fs", s.name, s.elapsed.Seconds())
		case builder.EventError:
			line(" => ERROR %s  %.1fs", s.name, s.elapsed.Seconds())
		default:
			line(" => %s  %.1fs", s.name, time.Since(s.start).Seconds())
			for _, l := range s.logs {
				line(" => => # %s", l)
			}
		}
	}
	if extra := p.lines - lines; extra > 0 {
		// The view shrank: blank the old lines below it, then come back.
		b.WriteString(strings.Repeat("\x1b[2K\n", extra))
		fmt.Fprintf(&b, "\x1b[%dA", extra)
	}
	p.lines = lines
	io.WriteString(p.w, b.String())
}

// close ends the view (err: the build's result).
func (p *buildProgress) close(err error) {
	if p.mode == "tty" {
		close(p.stop)
		<-p.done
	}
}

// exported reports the image as BuildKit's "exporting to image" step.
func (p *buildProgress) exported(id string, tags []string) {
	if p.mode != "plain" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.order) + 1
	fmt.Fprintf(p.w, "\n#%d exporting to image\n#%d writing image %s done\n", n, n, id)
	for _, t := range tags {
		fmt.Fprintf(p.w, "#%d naming to %s done\n", n, t)
	}
	fmt.Fprintf(p.w, "#%d DONE 0.0s\n", n)
}
