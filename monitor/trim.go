package monitor

import (
	"runtime/debug"
	"time"
)

// trimDelay is how long the monitor must be quiet (no request, no start,
// no exit) before it trims its memory.
const trimDelay = time.Second

// trimmer gives memory back once the monitor goes quiet. An idle monitor's
// PSS is what density costs (docs/architecture.md, "Supervision"); two
// things dominate it after a burst of starts: heap the GC freed but the
// runtime keeps, and the binary's read-only pages, which the kernel maps
// in 2 MiB folios on filesystems with large folios, so a handful of
// touched functions keep megabytes of text resident.
type trimmer struct {
	kick chan struct{}
}

func newTrimmer() *trimmer {
	t := &trimmer{kick: make(chan struct{}, 1)}
	go t.loop()
	return t
}

// activity restarts the quiet period.
func (t *trimmer) activity() {
	select {
	case t.kick <- struct{}{}:
	default:
	}
}

func (t *trimmer) loop() {
	timer := time.NewTimer(trimDelay)
	for {
		select {
		case <-t.kick:
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
			timer.Reset(trimDelay)
		case <-timer.C:
			trimMemory()
			// Wait for the next burst before arming again.
			<-t.kick
			timer.Reset(trimDelay)
		}
	}
}

// trimMemory returns freed heap to the kernel and drops the mappings of the
// binary's read-only pages (they refault from the page cache as used).
func trimMemory() {
	debug.FreeOSMemory()
	dropTextMappings()
}
