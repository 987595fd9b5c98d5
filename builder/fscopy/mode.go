package fscopy

import (
	"os"
	"strconv"
	"strings"

	"github.com/onggi/onggi/errdefs"
)

// chmodSpec is a parsed --chmod: an octal mode, or chmod(1)'s symbolic
// form ("u+x,go-w", "a=rX"), which BuildKit accepts too; a symbolic mode
// is applied to each copied entry's own mode.
type chmodSpec struct {
	octal   uint32
	clauses []chmodClause // nil for an octal mode
}

type chmodClause struct {
	who uint32 // permission bits the clause may touch
	ops []chmodOp
}

type chmodOp struct {
	op    byte   // '+', '-' or '='
	perms string // subset of "rwxXst"
}

// parseChmod reads --chmod. An invalid value is errdefs.ErrInvalid with
// BuildKit's message.
func parseChmod(s string) (*chmodSpec, error) {
	if s == "" {
		return nil, nil
	}
	bad := errdefs.Errorf(errdefs.ErrInvalid, "invalid chmod parameter: '%v'. it should be octal string and between 0 and 07777", s)
	if v, err := strconv.ParseUint(s, 8, 32); err == nil {
		if v > 0o7777 {
			return nil, bad
		}
		return &chmodSpec{octal: uint32(v)}, nil
	} else if s[0] >= '0' && s[0] <= '9' {
		return nil, bad
	}
	spec := &chmodSpec{}
	for _, part := range strings.Split(s, ",") {
		c, ok := parseClause(part)
		if !ok {
			return nil, errdefs.Errorf(errdefs.ErrInvalid, "invalid chmod parameter: %q", s)
		}
		spec.clauses = append(spec.clauses, c)
	}
	return spec, nil
}

func parseClause(s string) (chmodClause, bool) {
	var c chmodClause
	i := 0
	for ; i < len(s) && strings.IndexByte("ugoa", s[i]) >= 0; i++ {
		c.who |= map[byte]uint32{'u': 0o4700, 'g': 0o2070, 'o': 0o1007, 'a': 0o7777}[s[i]]
	}
	if c.who == 0 {
		c.who = 0o7777
	}
	for i < len(s) {
		if strings.IndexByte("+-=", s[i]) < 0 {
			return c, false
		}
		op := chmodOp{op: s[i]}
		i++
		for ; i < len(s) && strings.IndexByte("rwxXst", s[i]) >= 0; i++ {
			op.perms += string(s[i])
		}
		c.ops = append(c.ops, op)
	}
	return c, len(c.ops) > 0
}

// apply returns the unix mode bits an entry whose mode is cur gets.
func (c *chmodSpec) apply(cur uint32, dir bool) uint32 {
	if c.clauses == nil {
		return c.octal
	}
	m := cur & 0o7777
	for _, cl := range c.clauses {
		for _, op := range cl.ops {
			bits := permsBits(op.perms, m, dir) & cl.who
			switch op.op {
			case '+':
				m |= bits
			case '-':
				m &^= bits
			case '=':
				m = m&^(cl.who&0o777) | bits
			}
		}
	}
	return m
}

// permsBits turns "rwxXst" into mode bits for every class; X is x when
// the entry is a directory or already executable by someone.
func permsBits(perms string, cur uint32, dir bool) uint32 {
	var b uint32
	for _, p := range perms {
		switch p {
		case 'r':
			b |= 0o444
		case 'w':
			b |= 0o222
		case 'x':
			b |= 0o111
		case 'X':
			if dir || cur&0o111 != 0 {
				b |= 0o111
			}
		case 's':
			b |= 0o6000
		case 't':
			b |= 0o1000
		}
	}
	return b
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
