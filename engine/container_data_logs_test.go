package engine

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/container/jsonlog"
	"github.com/onggi/onggi/errdefs"
)

func TestLogEntryRouting(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	var out, errb bytes.Buffer
	o := LogsOptions{Stdout: &out, Stderr: &errb, Timestamps: true}
	noErr(t, writeLogEntry(jsonlog.Entry{Stream: "stdout", Log: []byte("a\n"), Time: at}, o, false))
	noErr(t, writeLogEntry(jsonlog.Entry{Stream: "stderr", Log: []byte("b\n"), Time: at}, o, false))
	if out.String() != "2026-01-02T03:04:05.000000006Z a\n" || errb.String() != "2026-01-02T03:04:05.000000006Z b\n" {
		t.Fatalf("out %q err %q", out.String(), errb.String())
	}
	out.Reset()
	errb.Reset()
	o.Timestamps = false
	noErr(t, writeLogEntry(jsonlog.Entry{Stream: "stderr", Log: []byte("c\n"), Time: at}, o, true))
	if out.String() != "c\n" || errb.Len() != 0 {
		t.Fatalf("tty: out %q err %q", out.String(), errb.String())
	}
	o.Stderr = nil // not attached: dropped, no panic
	noErr(t, writeLogEntry(jsonlog.Entry{Stream: "stderr", Log: []byte("d\n")}, o, false))
}

func TestLogsDriverNone(t *testing.T) {
	e := newTestEngine(t)
	c := create(t, e, cmd("true"), &ctypes.HostConfig{LogConfig: ctypes.LogConfig{Type: "none"}})
	err := e.ContainerLogs(context.Background(), c.ID, LogsOptions{Tail: -1})
	if !errors.Is(err, errdefs.ErrInvalid) || err.Error() != "configured logging driver does not support reading: invalid" {
		t.Fatalf("logs with driver none: %v", err)
	}
}
