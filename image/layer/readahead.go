package layer

import (
	"io"
	"sync"
)

// readAhead runs r on a goroutine filling a ring of buffers, so the
// consumer's work (syscalls per tar entry) overlaps with r's (inflate).
func readAhead(r io.Reader, closeFn func() error) io.ReadCloser {
	ra := &aheadReader{full: make(chan []byte, 8), free: make(chan []byte, 8), done: make(chan struct{}), closeFn: closeFn}
	for i := 0; i < 8; i++ {
		ra.free <- make([]byte, 512<<10)
	}
	go ra.fill(r)
	return ra
}

type aheadReader struct {
	full, free chan []byte
	done       chan struct{}
	once       sync.Once
	cur        []byte
	curBuf     []byte
	err        error // set by fill before closing full
	closeFn    func() error
}

func (a *aheadReader) fill(r io.Reader) {
	defer close(a.full)
	for {
		var buf []byte
		select {
		case buf = <-a.free:
		case <-a.done:
			return
		}
		n, err := io.ReadFull(r, buf[:cap(buf)])
		if n > 0 {
			select {
			case a.full <- buf[:n]:
			case <-a.done:
				return
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			a.err = io.EOF
			return
		}
		if err != nil {
			a.err = err
			return
		}
	}
}

func (a *aheadReader) Read(p []byte) (int, error) {
	for len(a.cur) == 0 {
		if a.curBuf != nil {
			a.free <- a.curBuf
			a.curBuf = nil
		}
		buf, ok := <-a.full
		if !ok {
			return 0, a.err
		}
		a.cur, a.curBuf = buf, buf
	}
	n := copy(p, a.cur)
	a.cur = a.cur[n:]
	return n, nil
}

func (a *aheadReader) Close() error {
	a.once.Do(func() { close(a.done) })
	for range a.full {
	}
	return a.closeFn()
}
