package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// probeSource is a tiny static program the network tests run inside
// containers, in the "other host" namespace and on the host: busybox's nc
// has no UDP and its nslookup no timeout, so one binary serves and dials
// TCP and UDP and resolves names, each with a bounded wait.
//
//	probe serve MSG PORT...            answer MSG on TCP and UDP on each port
//	probe dial tcp|udp HOST:PORT       print the answer; exit 1 on failure
//	probe resolve NAME                 print the addresses; exit 1 if none
const probeSource = `package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 3 {
		fail("usage: probe serve MSG PORT... | dial PROTO ADDR | resolve NAME")
	}
	switch os.Args[1] {
	case "serve":
		serve(os.Args[2], os.Args[3:])
	case "dial":
		dial(os.Args[2], os.Args[3])
	case "resolve":
		resolve(os.Args[2])
	default:
		fail("unknown verb " + os.Args[1])
	}
}

func fail(msg string) { fmt.Fprintln(os.Stderr, msg); os.Exit(1) }

func serve(msg string, ports []string) {
	for _, p := range ports {
		l, err := net.Listen("tcp", ":"+p)
		if err != nil {
			fail(err.Error())
		}
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				fmt.Fprintf(c, "%s\n", msg)
				c.Close()
			}
		}()
		u, err := net.ListenPacket("udp", ":"+p)
		if err != nil {
			fail(err.Error())
		}
		go func() {
			buf := make([]byte, 1500)
			for {
				_, from, err := u.ReadFrom(buf)
				if err != nil {
					return
				}
				u.WriteTo([]byte(msg+"\n"), from)
			}
		}()
	}
	fmt.Println("ready")
	select {}
}

func dial(proto, addr string) {
	c, err := net.DialTimeout(proto, addr, 2*time.Second)
	if err != nil {
		fail(err.Error())
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if proto == "udp" {
		if _, err := c.Write([]byte("ping")); err != nil {
			fail(err.Error())
		}
	}
	buf := make([]byte, 1500)
	n, err := c.Read(buf)
	if err != nil {
		fail(err.Error())
	}
	fmt.Print(strings.TrimSpace(string(buf[:n])) + "\n")
}

func resolve(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	r := &net.Resolver{PreferGo: true}
	addrs, err := r.LookupHost(ctx, name)
	if err != nil || len(addrs) == 0 {
		fail(fmt.Sprintf("resolve %s: %v", name, err))
	}
	fmt.Println(strings.Join(addrs, " "))
}
`

var probeBuild struct {
	once sync.Once
	dir  string
	err  error
}

// probeDir builds the probe once per test binary (static: the busybox
// image has no libc) and returns the directory holding it, mounted into
// containers at /probe-bin.
func probeDir(t testing.TB) string {
	t.Helper()
	probeBuild.once.Do(func() {
		// beside the onggi-runc link: TestMain removes that directory
		dir := filepath.Join(filepath.Dir(runcBin), "probe")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			probeBuild.err = err
			return
		}
		src := filepath.Join(dir, "src")
		os.Mkdir(src, 0o755)
		os.WriteFile(filepath.Join(src, "main.go"), []byte(probeSource), 0o644)
		os.WriteFile(filepath.Join(src, "go.mod"), []byte("module probe\n\ngo 1.22\n"), 0o644)
		cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, "probe"), ".")
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			probeBuild.err = fmt.Errorf("building the probe: %w\n%s", err, out)
			return
		}
		os.RemoveAll(src)
		probeBuild.dir = dir
	})
	if probeBuild.err != nil {
		t.Fatal(probeBuild.err)
	}
	return probeBuild.dir
}

// probeBin is the probe's path on the host.
func probeBin(t testing.TB) string { return filepath.Join(probeDir(t), "probe") }
