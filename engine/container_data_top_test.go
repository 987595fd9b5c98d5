package engine

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestParsePS(t *testing.T) {
	out := `UID          PID    PPID  C STIME TTY          TIME CMD
root           1       0  0 03:00 ?        00:00:01 /sbin/init splash
root         100       1  0 03:01 ?        00:00:00 sleep 1000
root         101     100  0 03:01 pts/0    00:00:00 sh -c echo a  b
`
	r, err := parsePS([]byte(out), []int{100, 101})
	noErr(t, err)
	if len(r.Titles) != 8 || len(r.Processes) != 2 {
		t.Fatalf("%+v", r)
	}
	if got := r.Processes[1][7]; got != "sh -c echo a b" {
		t.Fatalf("cmd %q", got)
	}
	if _, err := parsePS([]byte("USER COMMAND\nroot x\n"), []int{1}); err == nil {
		t.Fatal("no PID column accepted")
	}
}

func TestProcTopFallback(t *testing.T) {
	r := procTop([]int{os.Getpid()})
	if len(r.Processes) != 1 || r.Processes[0][1] != strconv.Itoa(os.Getpid()) || len(r.Processes[0]) != len(r.Titles) {
		t.Fatalf("%+v", r)
	}
	if !strings.Contains(r.Processes[0][7], "test") {
		t.Fatalf("cmd %q", r.Processes[0][7])
	}
}
