package client

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
)

// Progress shows per-layer status the way docker does: on a terminal one
// line per layer redrawn in place with a bar; otherwise a plain line per
// state change (no byte counts, so logs stay short).
type Progress struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	order []string
	lines map[string]string
	drawn int
	last  time.Time
}

// NewProgress writes to w; bars are drawn when w is a terminal.
func NewProgress(w io.Writer) *Progress {
	return &Progress{w: w, tty: isTerminal(w), lines: map[string]string{}}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0 && os.Getenv("TERM") != "dumb"
}

// shortID is docker's 12-hex layer id.
func shortID(d digest.Digest) string {
	e := d.Encoded()
	if len(e) > 12 {
		e = e[:12]
	}
	return e
}

// Status sets the line of layer d ("Pulling fs layer", "Pull complete").
func (p *Progress) Status(d digest.Digest, status string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.set(shortID(d), shortID(d)+": "+status, true)
}

// Bytes reports transfer progress of layer d (done of total bytes).
func (p *Progress) Bytes(d digest.Digest, verb string, done, total int64) {
	if p == nil || !p.tty {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.last) < 100*time.Millisecond && done < total {
		return
	}
	p.last = time.Now()
	p.set(shortID(d), fmt.Sprintf("%s: %-11s %s %s/%s", shortID(d), verb, bar(done, total), humanSize(done), humanSize(total)), false)
}

// Reset starts a new block of layer lines (the next image), leaving the
// previous block and anything printed after it in place.
func (p *Progress) Reset() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drawn, p.order = 0, nil
	clear(p.lines)
}

// Printf prints a line outside the per-layer block.
func (p *Progress) Printf(format string, args ...any) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drawn, p.order = 0, nil // later layer lines start a new block below
	clear(p.lines)
	fmt.Fprintf(p.w, format+"\n", args...)
}

func (p *Progress) set(id, line string, changed bool) {
	if _, ok := p.lines[id]; !ok {
		p.order = append(p.order, id)
	}
	if p.lines[id] == line {
		return
	}
	p.lines[id] = line
	if !p.tty {
		if changed {
			fmt.Fprintln(p.w, line)
		}
		return
	}
	p.redraw()
}

// redraw moves the cursor up over the block and rewrites it.
func (p *Progress) redraw() {
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", p.drawn)
	}
	for _, id := range p.order {
		b.WriteString("\x1b[2K" + p.lines[id] + "\n")
	}
	p.drawn = len(p.order)
	_, _ = io.WriteString(p.w, b.String())
}

func bar(done, total int64) string {
	const width = 50
	if total <= 0 {
		return "[" + strings.Repeat(" ", width) + "]"
	}
	n := int(done * width / total)
	n = min(max(n, 0), width)
	arrow := ""
	if n < width {
		arrow = ">"
	}
	return "[" + strings.Repeat("=", n) + arrow + strings.Repeat(" ", max(width-n-len(arrow), 0)) + "]"
}

// humanSize is docker's decimal units (1.5MB).
func humanSize(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB"}
	f := float64(n)
	i := 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%dB", n)
	}
	return fmt.Sprintf("%.3g%s", f, units[i])
}

// countingReader reports bytes read to a Progress.
type countingReader struct {
	r     io.Reader
	p     *Progress
	d     digest.Digest
	verb  string
	done  int64
	total int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.done += int64(n)
	c.p.Bytes(c.d, c.verb, c.done, c.total)
	return n, err
}
