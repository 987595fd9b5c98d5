package jsonlog

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// tailStart finds where the last n entries begin: the index of the file
// (files oldest first) and the offset in it. It reads backwards, block by
// block, so --tail 10 of a 10 MB log costs a few reads. n < 0: all.
func tailStart(files []*os.File, n int) (int, int64, error) {
	if n < 0 {
		return 0, 0, nil
	}
	want := n
	for i := len(files) - 1; i >= 0; i-- {
		off, seen, err := scanBack(files[i], want)
		if err != nil {
			return 0, 0, err
		}
		if off >= 0 {
			return i, off, nil
		}
		want -= seen
	}
	return 0, 0, nil
}

// scanBack looks in f for the start of the want-th complete line from its
// end (bytes after the last newline are a line being written). It returns
// that offset, or -1 and the number of complete lines when f has fewer.
func scanBack(f *os.File, want int) (int64, int, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, fmt.Errorf("reading log: %w", err)
	}
	const block = 32 * 1024
	buf := make([]byte, block)
	seen := 0 // newlines seen; the (want+1)-th ends the line before ours
	for end := fi.Size(); end > 0; {
		start := max(end-block, 0)
		b := buf[:end-start]
		if _, err := f.ReadAt(b, start); err != nil && err != io.EOF {
			return 0, 0, fmt.Errorf("reading log: %w", err)
		}
		for i := len(b); i > 0; {
			j := bytes.LastIndexByte(b[:i], '\n')
			if j < 0 {
				break
			}
			seen++
			if seen == want+1 {
				return start + int64(j) + 1, 0, nil
			}
			i = j
		}
		end = start
	}
	if seen == want {
		return 0, 0, nil
	}
	return -1, seen, nil
}
