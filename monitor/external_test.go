package monitor

import (
	"context"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/onggi/onggi/runtime/driver"
)

// TestExternalRuntimes runs a container through runc (crun refuses this
// test host's hybrid cgroup layout): stdio pipes
// handed to a runtime binary, the pty master from its console socket, and
// the init reaped as our subreaped orphan.
func TestExternalRuntimes(t *testing.T) {
	for _, bin := range []string{"runc"} {
		t.Run(bin, func(t *testing.T) {
			if _, err := exec.LookPath(bin); err != nil {
				t.Skipf("%s is not installed", bin)
			}
			f := newFixture(t, time.Minute)
			root := t.TempDir()
			external := func(s Spec) Spec {
				s.Runtime, s.RuntimeRoot = bin, root
				t.Cleanup(func() {
					if d, err := driver.External(bin, root); err == nil {
						_ = d.Delete(s.ID, true)
					}
				})
				return s
			}
			s := external(f.spec(t, nil, "sh", "-c", "echo out; echo err >&2; exit 5"))
			var out, errb syncBuffer
			sess, err := f.client.Start(context.Background(), s, &Attach{Stdout: &out, Stderr: &errb})
			if err != nil {
				t.Fatal(err)
			}
			if res := waitSession(t, sess); res.Exit.Code != 5 || out.String() != "out\n" || errb.String() != "err\n" {
				t.Fatalf("result %+v stdout %q stderr %q", res, out.String(), errb.String())
			}

			s = external(f.spec(t, ttySpec, "sh", "-c", "read x; stty size"))
			s.Tty, s.OpenStdin = true, true
			in, inw := io.Pipe()
			defer inw.Close()
			out = syncBuffer{}
			sess, err = f.client.Start(context.Background(), s, &Attach{Stdin: in, Stdout: &out})
			if err != nil {
				t.Fatal(err)
			}
			if err := sess.Resize(Size{Width: 99, Height: 11}); err != nil {
				t.Fatal(err)
			}
			inw.Write([]byte("go\n"))
			if res := waitSession(t, sess); res.Exit.Code != 0 || !strings.Contains(out.String(), "11 99\r\n") {
				t.Fatalf("result %+v output %q", res, out.String())
			}
		})
	}
}
