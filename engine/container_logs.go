package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/onggi/onggi/container"
	"github.com/onggi/onggi/container/jsonlog"
	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/monitor"
)

// containerLogs copies the json-file log to the writers.
func (e *Engine) containerLogs(ctx context.Context, ref string, o LogsOptions) error {
	c, err := e.getContainer(ctx, ref)
	if err != nil {
		return err
	}
	if c.HostConfig != nil && c.HostConfig.LogConfig.Type == "none" {
		return fmt.Errorf("configured logging driver does not support reading: %w", errdefs.ErrInvalid)
	}
	path := c.LogPath
	if path == "" {
		path = filepath.Join(e.containers.Dir(c.ID), c.ID+"-json.log")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ro := jsonlog.ReadOptions{Since: o.Since, Until: o.Until, Tail: o.Tail, Follow: o.Follow}
	if o.Follow {
		ro.Done = e.exitNotice(ctx, c)
	}
	tty := c.Config != nil && c.Config.Tty
	err = jsonlog.Read(ctx, path, ro, func(en jsonlog.Entry) error {
		return writeLogEntry(en, o, tty)
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil // never started: no log yet, as docker prints nothing
	}
	return err
}

// writeLogEntry routes one entry to its stream; with a tty everything is
// stdout (the pty merges the streams).
func writeLogEntry(en jsonlog.Entry, o LogsOptions, tty bool) error {
	w := o.Stdout
	if en.Stream == "stderr" && !tty {
		w = o.Stderr
	}
	if w == nil {
		return nil
	}
	if o.Timestamps {
		if _, err := io.WriteString(w, en.Time.UTC().Format(time.RFC3339Nano)+" "); err != nil {
			return err
		}
	}
	_, err := w.Write(en.Log)
	return err
}

// exitNotice returns a channel closed when the container's current run ends
// (at once if it does not run), so logs -f stops after the last line.
func (e *Engine) exitNotice(ctx context.Context, c *container.Container) <-chan struct{} {
	done := make(chan struct{})
	if !c.Running() {
		close(done)
		return done
	}
	go func() {
		defer close(done)
		// Wait ends with ok=false (or an error) when the monitor holds no
		// such container: either way the run is over for the reader.
		_, _, _ = e.readerMonitor().Wait(ctx, c.ID)
	}()
	return done
}

// readerMonitor is a monitor client for readers: it never spawns a monitor
// (no monitor means no running container to wait for).
func (e *Engine) readerMonitor() *monitor.Client {
	return monitor.NewClient(filepath.Join(e.runroot, "monitor"), func() error {
		return fmt.Errorf("monitor not running: %w", errdefs.ErrUnavailable)
	})
}
