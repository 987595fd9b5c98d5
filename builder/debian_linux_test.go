package builder

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/onggi/onggi/image/bootstrap"
	"github.com/onggi/onggi/internal/testbundle"
)

// TestDebianBase builds on debian:bookworm (debootstrap from the host's
// apt mirror; the layer is cached across runs under the system temp dir):
// a real distribution's users, bash, and a RUN that deletes a directory
// tree (thousands of whiteouts collapse into one opaque directory or
// per-file whiteouts).
func TestDebianBase(t *testing.T) {
	testbundle.RequireRoot(t)
	if _, err := exec.LookPath("debootstrap"); err != nil {
		t.Skip("needs debootstrap (apt-get install debootstrap)")
	}
	if testing.Short() {
		t.Skip("debootstrap takes about a minute the first time")
	}
	b := testBuilder(t, false)
	ctx := context.Background()
	imp, err := bootstrap.Debian(ctx, b.store.Content(), bootstrap.DebianOptions{
		Suite: "bookworm", CacheDir: filepath.Join(os.TempDir(), "onggi-builder-test-debian"), Logf: t.Logf,
	})
	if err != nil {
		t.Skipf("debian:bookworm bootstrap unavailable here: %v", err)
	}
	if _, err := b.store.Put(ctx, imp.Manifest, "debian:bookworm"); err != nil {
		t.Fatal(err)
	}
	df := `FROM debian:bookworm
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN useradd -m -u 1234 app && [[ -d /home/app ]]
RUN rm -rf /usr/share/doc /usr/share/man
USER app
WORKDIR /home/app/work
RUN [[ "$(id -un)" == app ]] && touch mine && ls -l mine | grep -q app
`
	img, _ := mustBuild(t, b, df, "", func(o *BuildOptions) { o.Tags = []string{"deb-test"} })
	check(t, b, img.ID.String(), `[[ ! -e /usr/share/doc ]] && [[ -f /home/app/work/mine ]] && [[ "$(stat -c %U /home/app/work)" == app ]] && getent passwd app >/dev/null`)
}
