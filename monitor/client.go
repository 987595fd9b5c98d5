package monitor

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"syscall"
	"time"

	"github.com/onggi/onggi/errdefs"
)

// dialAttempts bounds the retries of the spawn race: a monitor that is
// exiting idle (or a successor that lost the lock to it) refuses or drops
// a connection; each attempt spawns a monitor again.
const dialAttempts = 6

// errNoMonitor is a dial that found no monitor listening.
var errNoMonitor = errors.New("no monitor")

// conn is a connection after the request/response exchange.
type conn struct {
	c  *net.UnixConn
	br *bufio.Reader
}

func (c *Client) sock() string { return filepath.Join(c.dir, "monitor.sock") }

// dial connects to the monitor without starting one.
func (c *Client) dial(ctx context.Context) (*net.UnixConn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", c.sock())
	if err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
			return nil, errNoMonitor
		}
		return nil, fmt.Errorf("connecting to the monitor: %v: %w", err, errdefs.ErrUnavailable)
	}
	return nc.(*net.UnixConn), nil
}

// call sends req and reads the response. A missing monitor is spawned
// (when spawn is true); a connection closed before the response, which an
// idle monitor does while it exits, is retried.
func (c *Client) call(ctx context.Context, req request, spawn bool) (*conn, response, error) {
	line, err := json.Marshal(req)
	if err != nil {
		return nil, response{}, err
	}
	line = append(line, '\n')
	delay := 10 * time.Millisecond
	var last error
	spawned := false
	for i := 0; i < dialAttempts; i++ {
		if i > 0 && !spawned {
			select {
			case <-ctx.Done():
				return nil, response{}, ctx.Err()
			case <-time.After(delay):
			}
			delay *= 2
		}
		nc, err := c.dial(ctx)
		spawned = false
		if errors.Is(err, errNoMonitor) {
			last = err
			if !spawn {
				return nil, response{}, err
			}
			if c.spawn == nil {
				return nil, response{}, fmt.Errorf("no monitor at %s: %w", c.dir, errdefs.ErrUnavailable)
			}
			if err := c.spawn(); err != nil {
				return nil, response{}, fmt.Errorf("starting the monitor: %w", err)
			}
			spawned = true // it is ready: redial at once
			continue
		}
		if err != nil {
			return nil, response{}, err
		}
		cn, resp, err := exchange(ctx, nc, line)
		if err == nil {
			return cn, resp, nil
		}
		nc.Close()
		last = err
		if ctx.Err() != nil {
			return nil, response{}, ctx.Err()
		}
	}
	return nil, response{}, fmt.Errorf("talking to the monitor at %s: %v: %w", c.dir, last, errdefs.ErrUnavailable)
}

// exchange writes the request line and reads the response line. ctx
// cancels a wait by closing the connection.
func exchange(ctx context.Context, nc *net.UnixConn, line []byte) (*conn, response, error) {
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	var resp response
	if _, err := nc.Write(line); err != nil {
		return nil, resp, err
	}
	br := bufio.NewReader(nc)
	b, err := br.ReadBytes('\n')
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, resp, err
	}
	if err := json.Unmarshal(b, &resp); err != nil {
		return nil, resp, fmt.Errorf("bad response from the monitor: %w", err)
	}
	return &conn{c: nc, br: br}, resp, nil
}

func attachRequest(req request, a *Attach) request {
	if a != nil {
		req.Stdin, req.Stdout, req.Stderr = a.Stdin != nil, a.Stdout != nil, a.Stderr != nil
		req.DetachKeys = a.DetachKeys
	}
	return req
}

func (c *Client) start(ctx context.Context, s Spec, a *Attach) (*Session, error) {
	cn, resp, err := c.call(ctx, attachRequest(request{Op: opStart, Spec: &s}, a), true)
	return c.session(cn, resp, err, a)
}

func (c *Client) attach(ctx context.Context, id string, a *Attach) (*Session, error) {
	cn, resp, err := c.call(ctx, attachRequest(request{Op: opAttach, ID: id}, a), false)
	if errors.Is(err, errNoMonitor) {
		return nil, fmt.Errorf("container %s is not running: %w", id, errdefs.ErrNotRunning)
	}
	return c.session(cn, resp, err, a)
}

// session turns an answered start/attach into a Session (nil without
// streams: the connection is closed).
func (c *Client) session(cn *conn, resp response, err error, a *Attach) (*Session, error) {
	if err != nil {
		return nil, err
	}
	if err := resp.err(); err != nil {
		cn.c.Close()
		return nil, err
	}
	if a == nil || (a.Stdin == nil && a.Stdout == nil && a.Stderr == nil) {
		cn.c.Close()
		return nil, nil
	}
	return &Session{impl: newClientSession(cn, a)}, nil
}

func (c *Client) wait(ctx context.Context, id string) (Exit, bool, error) {
	cn, resp, err := c.call(ctx, request{Op: opWait, ID: id}, false)
	if errors.Is(err, errNoMonitor) {
		return Exit{}, false, nil
	}
	if err != nil {
		return Exit{}, false, err
	}
	cn.c.Close()
	if err := resp.err(); err != nil {
		return Exit{}, false, err
	}
	if !resp.Held || resp.Exit == nil {
		return Exit{}, false, nil
	}
	return *resp.Exit, true, nil
}

func (c *Client) running(ctx context.Context) ([]string, error) {
	cn, resp, err := c.call(ctx, request{Op: opRunning}, false)
	if errors.Is(err, errNoMonitor) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	cn.c.Close()
	return resp.IDs, resp.err()
}
