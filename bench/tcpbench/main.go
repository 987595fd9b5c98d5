// Command tcpbench is the iperf-style loopback transfer bench/network.sh
// pushes through published ports: "serve" runs inside a container (a
// static binary bind-mounted into busybox), "send" on the host.
//
// Protocol, one connection per transfer: the server greets with one byte,
// so the client knows it reached the server and not a proxy that accepted
// before its backend was up; the client streams N bytes and half-closes;
// the server answers with the 8-byte big-endian count it read, so a
// transfer that lost bytes (a proxy closing early) is an error, not a
// fast result.
package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

const hello = 'H'

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: tcpbench serve [-l ADDR] | send -c ADDR [-n BYTES] [-wait DUR]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "send":
		err = send(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tcpbench:", err)
		os.Exit(1)
	}
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	addr := fs.String("l", ":5201", "listen address")
	fs.Parse(args)
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		go sink(c)
	}
}

// sink greets, counts everything until EOF and reports the count.
func sink(c net.Conn) {
	defer c.Close()
	if _, err := c.Write([]byte{hello}); err != nil {
		return
	}
	n, err := io.CopyBuffer(io.Discard, c, make([]byte, 256<<10))
	if err != nil {
		return
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(n))
	c.Write(b[:])
}

func send(args []string) error {
	fs := flag.NewFlagSet("send", flag.ExitOnError)
	addr := fs.String("c", "", "server address HOST:PORT")
	size := fs.Int64("n", 1<<30, "bytes to send")
	wait := fs.Duration("wait", 0, "retry connecting until the server greets, up to this long")
	fs.Parse(args)
	if *addr == "" {
		return errors.New("send: -c ADDR is required")
	}
	c, err := connect(*addr, *wait)
	if err != nil {
		return err
	}
	defer c.Close()
	start := time.Now()
	if err := stream(c, *size); err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	fmt.Printf("%.1f MiB/s %.3f s %d bytes\n", float64(*size)/secs/(1<<20), secs, *size)
	return nil
}

// connect dials until the server's greeting arrives or wait runs out.
func connect(addr string, wait time.Duration) (*net.TCPConn, error) {
	deadline := time.Now().Add(wait)
	for {
		c, err := greet(addr)
		if err == nil || time.Now().After(deadline) {
			return c, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func greet(addr string) (*net.TCPConn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	var b [1]byte
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, b[:]); err != nil || b[0] != hello {
		c.Close()
		return nil, fmt.Errorf("%s: no greeting from the server: %v", addr, err)
	}
	c.SetReadDeadline(time.Time{})
	return c.(*net.TCPConn), nil
}

// stream writes size bytes, half-closes and checks the server's count.
func stream(c *net.TCPConn, size int64) error {
	buf := make([]byte, 256<<10)
	for left := size; left > 0; {
		chunk := buf
		if left < int64(len(chunk)) {
			chunk = chunk[:left]
		}
		n, err := c.Write(chunk)
		if err != nil {
			return fmt.Errorf("sending: %w", err)
		}
		left -= int64(n)
	}
	if err := c.CloseWrite(); err != nil {
		return err
	}
	var b [8]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		return fmt.Errorf("reading the server's count: %w", err)
	}
	if got := int64(binary.BigEndian.Uint64(b[:])); got != size {
		return fmt.Errorf("server received %d bytes, sent %d", got, size)
	}
	return nil
}
