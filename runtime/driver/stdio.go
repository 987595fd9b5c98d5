package driver

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// stdio is IO's standard files with /dev/null for the missing ones.
type stdio struct {
	in, out, err *os.File
	null         *os.File // opened here; closed once the process has its copies
}

func openStdio(o IO) (*stdio, error) {
	s := &stdio{in: o.Stdin, out: o.Stdout, err: o.Stderr}
	if s.in != nil && s.out != nil && s.err != nil {
		return s, nil
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", os.DevNull, err)
	}
	s.null = null
	for _, f := range []**os.File{&s.in, &s.out, &s.err} {
		if *f == nil {
			*f = null
		}
	}
	return s, nil
}

func (s *stdio) close() {
	if s.null != nil {
		s.null.Close()
	}
}

func setSubreaper() error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return &os.SyscallError{Syscall: "prctl(PR_SET_CHILD_SUBREAPER)", Err: err}
	}
	return nil
}
