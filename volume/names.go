package volume

import (
	"crypto/rand"
	"encoding/hex"
)

// validName is docker's local volume rule ^[a-zA-Z0-9][a-zA-Z0-9_.-]+$,
// written out (no regexp to compile on the start path). It also keeps
// names from escaping the store: no "/", no leading ".".
func validName(name string) bool {
	if len(name) < 2 || !isAlnum(name[0]) {
		return false
	}
	for i := 1; i < len(name); i++ {
		if c := name[i]; !isAlnum(c) && c != '_' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// checkName returns docker's messages for a bad volume name.
func checkName(name string) error {
	switch {
	case len(name) == 1:
		return invalid("create %s: volume name is too short, names should be at least two alphanumeric characters", name)
	case !validName(name):
		return invalid("create %s: %q includes invalid characters for a local volume name, "+
			"only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path", name, name)
	}
	return nil
}

// randomName is an anonymous volume's name: 64 hex digits, like docker's.
func randomName() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}
