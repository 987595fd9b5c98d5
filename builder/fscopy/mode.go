package fscopy

import (
	"os"
	"strconv"

	"github.com/onggi/onggi/errdefs"
)

// parseChmod reads --chmod: octal only (the classic builder's and
// BuildKit's common ground).
func parseChmod(s string) (*os.FileMode, error) {
	if s == "" {
		return nil, nil
	}
	v, err := strconv.ParseUint(s, 8, 32)
	if err != nil || v > 0o7777 {
		return nil, errdefs.Errorf(errdefs.ErrInvalid, "invalid chmod parameter %q: must be an octal mode", s)
	}
	m := unixMode(uint32(v))
	return &m, nil
}

// unixMode converts permission and setuid/setgid/sticky bits to FileMode.
func unixMode(v uint32) os.FileMode {
	m := os.FileMode(v & 0o777)
	if v&0o4000 != 0 {
		m |= os.ModeSetuid
	}
	if v&0o2000 != 0 {
		m |= os.ModeSetgid
	}
	if v&0o1000 != 0 {
		m |= os.ModeSticky
	}
	return m
}

// permBits converts a FileMode's permission and special bits to unix.
func permBits(m os.FileMode) uint32 {
	v := uint32(m.Perm())
	if m&os.ModeSetuid != 0 {
		v |= 0o4000
	}
	if m&os.ModeSetgid != 0 {
		v |= 0o2000
	}
	if m&os.ModeSticky != 0 {
		v |= 0o1000
	}
	return v
}
