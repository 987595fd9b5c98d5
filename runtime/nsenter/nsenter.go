package nsenter

// #cgo CFLAGS: -Wall -O2
import "C"

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Join is one namespace to join: its runtime-spec type ("network", "mount",
// ...) and the path of a namespace file (/proc/<pid>/ns/<x> or a bind mount).
type Join struct {
	Type string
	Path string
}

// Config says what the constructor of a re-executed helper must do.
type Config struct {
	Join        []Join
	New         int    // CLONE_NEW* flags to unshare after the joins
	Root        string // directory to chroot into after joining the mount namespace
	TimeOffsets string // timens_offsets content for a new time namespace
}

// procName maps runtime-spec namespace types to the names nsenter.c knows
// (those of /proc/<pid>/ns).
var procName = map[string]string{
	"pid": "pid", "network": "net", "mount": "mnt", "ipc": "ipc",
	"uts": "uts", "user": "user", "cgroup": "cgroup", "time": "time",
}

// ProcName returns the /proc/<pid>/ns name of a runtime-spec namespace type.
func ProcName(specType string) (string, bool) {
	n, ok := procName[specType]
	return n, ok
}

// Env returns the environment entries that make the constructor act; syncFD
// is the sync socket's fd number in the child.
func (c Config) Env(syncFD int) ([]string, error) {
	var joins []string
	for _, j := range c.Join {
		n, ok := procName[j.Type]
		if !ok {
			return nil, fmt.Errorf("unknown namespace type %q", j.Type)
		}
		if strings.ContainsAny(j.Path, ",") {
			return nil, fmt.Errorf("namespace path %q: commas are not supported", j.Path)
		}
		joins = append(joins, n+":"+j.Path)
	}
	return []string{
		"_ONGGI_NSENTER=" + strconv.Itoa(syncFD),
		"_ONGGI_NS_JOIN=" + strings.Join(joins, ","),
		"_ONGGI_NS_NEW=" + strconv.Itoa(c.New),
		"_ONGGI_NS_ROOT=" + c.Root,
		"_ONGGI_TIMENS_OFFSETS=" + c.TimeOffsets,
	}, nil
}

// ErrChild is wrapped by errors the constructor reported.
var ErrChild = errors.New("nsenter")

// Handshake follows the constructor's report on sync (the parent's end of
// the sync socket) until it names the pid that lives on. onUserNS is called
// with the pid whose id maps must be written when the constructor unshared
// a user namespace. It reads byte by byte: the socket carries the init's own
// protocol afterwards.
func Handshake(sync io.ReadWriter, onUserNS func(pid int) error) (int, error) {
	for {
		line, err := readLine(sync)
		if err != nil {
			return 0, fmt.Errorf("reading from nsenter: %w", err)
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch verb {
		case "error":
			return 0, fmt.Errorf("%w: %s", ErrChild, arg)
		case "userns", "pid":
			pid, err := strconv.Atoi(arg)
			if err != nil {
				return 0, fmt.Errorf("nsenter: bad line %q", line)
			}
			if verb == "pid" {
				return pid, nil
			}
			if err := onUserNS(pid); err != nil {
				fmt.Fprintf(sync, "%s\n", strings.ReplaceAll(err.Error(), "\n", " "))
				return 0, err
			}
			if _, err := io.WriteString(sync, "ok\n"); err != nil {
				return 0, fmt.Errorf("answering nsenter: %w", err)
			}
		default:
			return 0, fmt.Errorf("nsenter: unexpected line %q", line)
		}
	}
}

func readLine(r io.Reader) (string, error) {
	var sb strings.Builder
	b := make([]byte, 1)
	for {
		n, err := r.Read(b)
		if n == 1 {
			if b[0] == '\n' {
				return sb.String(), nil
			}
			sb.WriteByte(b[0])
			continue
		}
		if err == io.EOF {
			return "", io.ErrUnexpectedEOF
		}
		if err != nil && !errors.Is(err, unix.EINTR) {
			return "", err
		}
	}
}
