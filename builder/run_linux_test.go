package builder

import (
	"errors"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/moby/sys/mountinfo"
	"github.com/onggi/onggi/internal/testbundle"
)

// check builds a probe on top of ref whose RUN fails unless the shell
// test script succeeds: "running a container from it" with the builder.
func check(t *testing.T, b *Builder, ref, script string) {
	t.Helper()
	_, _, err := tryBuild(t, b, "FROM "+ref+"\nRUN "+script+"\n", "", func(o *BuildOptions) { o.NoCache = true })
	if err != nil {
		t.Errorf("check on %s failed: %s: %v", ref, script, err)
	}
}

func TestRunLayersAndWhiteouts(t *testing.T) {
	testbundle.RequireRoot(t)
	b := testBuilder(t, true)
	df := `FROM busybox
RUN echo data > /f && mkdir -p /d/sub && echo x > /d/sub/x
RUN rm /bin/vi && rm -r /d/sub
RUN true
WORKDIR /w/x
USER nobody
WORKDIR rel
`
	img, _ := mustBuild(t, b, df, "", func(o *BuildOptions) { o.Tags = []string{"layers"} })
	cfg, _ := parseImageConfig(img.ConfigJSON)
	var empty []bool
	for _, h := range cfg.History[1:] {
		empty = append(empty, h.EmptyLayer)
	}
	// RUN, RUN (whiteouts), RUN true (no change), WORKDIR (new dir),
	// USER, WORKDIR rel (new dir owned by nobody).
	want := []bool{false, false, true, false, true, false}
	if len(empty) != len(want) {
		t.Fatalf("history %+v", cfg.History)
	}
	for i := range want {
		if empty[i] != want[i] {
			t.Errorf("history[%d] %q empty_layer=%v, want %v", i+1, cfg.History[i+1].CreatedBy, empty[i], want[i])
		}
	}
	if n := len(img.Manifest.Layers); n != 5 {
		t.Errorf("%d layers, want 5 (base + 4)", n)
	}
	if cfg.Config.WorkingDir != "/w/x/rel" {
		t.Errorf("workdir %q", cfg.Config.WorkingDir)
	}
	check(t, b, "layers", `[ "$(cat /f)" = data ] && [ ! -e /bin/vi ] && [ -d /d ] && [ ! -e /d/sub ] && [ "$(pwd)" = /w/x/rel ] && [ "$(id -u)" = 65534 ] && [ -O /w/x/rel ]`)
	// No mountpoint the runtime made (/etc/hosts, /proc, …) reached a layer.
	check(t, b, "layers", `[ ! -e /run ] || [ -n "$(ls -A /run)" ]`)
}

func TestRunFailureLeavesNothing(t *testing.T) {
	testbundle.RequireRoot(t)
	b := testBuilder(t, true)
	before, _ := b.store.List(t.Context())
	_, _, err := tryBuild(t, b, "FROM busybox\nRUN echo to-stdout && echo to-stderr >&2 && exit 3\n", "", nil)
	var re *RunError
	if !errors.As(err, &re) || re.ExitCode != 3 {
		t.Fatalf("error %v, want a RunError with exit code 3", err)
	}
	if !strings.Contains(err.Error(), `process "/bin/sh -c echo to-stdout && echo to-stderr >&2 && exit 3" did not complete successfully: exit code: 3`) {
		t.Errorf("error text %q", err)
	}
	if out := string(re.Output); !strings.Contains(out, "to-stdout") || !strings.Contains(out, "to-stderr") {
		t.Errorf("output %q", out)
	}
	after, _ := b.store.List(t.Context())
	if len(after) != len(before) {
		t.Errorf("images %d → %d: a failed build left an image", len(before), len(after))
	}
	snaps, _ := b.store.Snapshots().List(t.Context())
	if len(snaps) != 0 {
		t.Errorf("snapshots left: %+v", snaps)
	}
	mounts, _ := mountinfo.GetMounts(mountinfo.PrefixFilter(filepath.Dir(b.runroot)))
	if len(mounts) != 0 {
		t.Errorf("mounts left: %+v", mounts[0])
	}
	left, _ := filepath.Glob("/sys/fs/cgroup/onggi/build-*")
	for _, l := range left {
		if strings.Contains(l, "build-") {
			t.Errorf("cgroup left: %s", l)
		}
	}
	ents, _ := os.ReadDir(b.runroot)
	for _, e := range ents {
		if e.Name() != "runtime" {
			t.Errorf("runroot leftover %s", e.Name())
		}
	}
}

func TestCacheHitsAndMisses(t *testing.T) {
	testbundle.RequireRoot(t)
	b := testBuilder(t, true)
	dir := ctxDir(t, map[string]string{"a.txt": "a1", "b.txt": "b1"})
	df := "FROM busybox\nRUN echo first > /first\nCOPY a.txt /a.txt\nRUN cat /a.txt > /seen-a\nCOPY b.txt /b.txt\nRUN cat /b.txt > /seen-b\n"
	img1, ev := mustBuild(t, b, df, dir, nil)
	if ev.count(EventCached) != 0 || ev.count(EventDone) != 6 {
		t.Fatalf("cold build: %d cached, %d done", ev.count(EventCached), ev.count(EventDone))
	}
	img2, ev := mustBuild(t, b, df, dir, nil)
	if ev.count(EventCached) != 5 || img2.ID != img1.ID {
		t.Errorf("unchanged rebuild: %d cached (want 5), id %s vs %s", ev.count(EventCached), img2.ID, img1.ID)
	}
	// An mtime change alone keeps the cache.
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "a.txt"), future, future); err != nil {
		t.Fatal(err)
	}
	if _, ev = mustBuild(t, b, df, dir, nil); ev.count(EventCached) != 5 {
		t.Errorf("after touch: %d cached, want 5", ev.count(EventCached))
	}
	// Changing b.txt rebuilds only the steps from COPY b.txt on.
	if err := os.WriteFile(filepath.Join(dir, "b.txt"), []byte("b2"), 0o644); err != nil {
		t.Fatal(err)
	}
	img3, ev := mustBuild(t, b, df, dir, nil)
	if ev.count(EventCached) != 3 || ev.count(EventDone) != 3 {
		t.Errorf("one-file change: %d cached (want 3), %d done (want FROM + 2)", ev.count(EventCached), ev.count(EventDone))
	}
	check(t, b, img3.ID.String(), `[ "$(cat /seen-b)" = b2 ] && [ "$(cat /seen-a)" = a1 ]`)
	// A mode change is a change.
	if err := os.Chmod(filepath.Join(dir, "a.txt"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ev = mustBuild(t, b, df, dir, nil); ev.count(EventCached) != 1 {
		t.Errorf("after chmod: %d cached, want 1", ev.count(EventCached))
	}
	// --no-cache runs everything; a build arg change invalidates from its ARG.
	if _, ev = mustBuild(t, b, df, dir, func(o *BuildOptions) { o.NoCache = true }); ev.count(EventCached) != 0 {
		t.Errorf("--no-cache: %d cached", ev.count(EventCached))
	}
	df2 := "FROM busybox\nRUN echo first > /first\nARG V=1\nRUN echo $V > /v\n"
	mustBuild(t, b, df2, "", nil)
	if _, ev = mustBuild(t, b, df2, "", func(o *BuildOptions) { o.BuildArgs = map[string]string{"V": "2"} }); ev.count(EventCached) != 1 {
		t.Errorf("build-arg change: %d cached, want 1 (the first RUN)", ev.count(EventCached))
	}
	// The cache survives a new Builder on the same root (another invocation).
	b2, err := New(b.store, b.root, b.runroot)
	if err != nil {
		t.Fatal(err)
	}
	if _, ev = mustBuild(t, b2, df2, "", nil); ev.count(EventCached) != 2 {
		t.Errorf("new builder: %d cached, want 2", ev.count(EventCached))
	}
}

func TestSecretsAndMounts(t *testing.T) {
	testbundle.RequireRoot(t)
	b := testBuilder(t, true)
	secret := filepath.Join(t.TempDir(), "s")
	if err := os.WriteFile(secret, []byte("s3cr3t"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := ctxDir(t, map[string]string{"ctx/file": "from-context"})
	df := `FROM busybox
RUN --mount=type=secret,id=tok [ "$(cat /run/secrets/tok)" = s3cr3t ] && [ "$(stat -c %a /run/secrets/tok)" = 400 ]
RUN --mount=type=secret,id=tok,env=TOK,target=/s [ "$TOK" = s3cr3t ]
RUN --mount=type=bind,source=ctx,target=/m [ "$(cat /m/file)" = from-context ] && ! touch /m/new 2>/dev/null
RUN --mount=type=bind,source=ctx,target=/m,rw touch /m/new
RUN --mount=type=cache,target=/var/cache/x echo run >> /var/cache/x/log
RUN --mount=type=tmpfs,target=/t touch /t/x
RUN --network=none [ "$(ls /sys/class/net)" = lo ]
`
	img, _ := mustBuild(t, b, df, dir, func(o *BuildOptions) { o.Secrets = map[string]string{"tok": secret} })
	check(t, b, img.ID.String(), `[ ! -e /run/secrets ] && [ ! -e /s ] && [ ! -e /m ] && [ ! -e /t ] && [ ! -e /var/cache/x ]`)
	if _, err := os.Stat(filepath.Join(dir, "ctx", "new")); err == nil {
		t.Error("a rw bind wrote into the context")
	}
	_, _, err := tryBuild(t, b, "FROM busybox\nRUN --mount=type=secret,id=missing,required true\n", "", nil)
	if err == nil || !strings.Contains(err.Error(), "secret missing: not found") {
		t.Errorf("required missing secret: %v", err)
	}
}

func TestStagesRunInParallel(t *testing.T) {
	testbundle.RequireRoot(t)
	if goruntime.GOMAXPROCS(0) < 2 {
		t.Skip("stages run in parallel up to GOMAXPROCS; needs 2")
	}
	b := testBuilder(t, true)
	// Each stage waits for the other's mark in a shared cache mount: built
	// one after the other they would wait for ever (the build times out).
	wait := func(me, other string) string {
		return `RUN --mount=type=cache,id=rendezvous,target=/c touch /c/` + me + ` && for i in $(seq 300); do [ -e /c/` + other + ` ] && exit 0; sleep 0.1; done; exit 1`
	}
	df := "FROM busybox AS a\n" + wait("a", "b") + "\nFROM busybox AS b\n" + wait("b", "a") +
		"\nFROM scratch\nCOPY --from=a /bin/busybox /a\nCOPY --from=b /bin/busybox /b\n"
	if _, _, err := tryBuild(t, b, df, "", nil); err != nil {
		t.Fatalf("parallel stages: %v", err)
	}
}

func TestOnbuildAndStageImages(t *testing.T) {
	testbundle.RequireRoot(t)
	b := testBuilder(t, true)
	mustBuild(t, b, "FROM busybox\nONBUILD RUN echo ob > /ob\nONBUILD ENV FROM_TRIGGER=1\n", "", func(o *BuildOptions) { o.Tags = []string{"parent"} })
	img, _ := mustBuild(t, b, "FROM parent\nRUN [ \"$(cat /ob)\" = ob ] && [ \"$FROM_TRIGGER\" = 1 ]\n", "", nil)
	cfg, _ := parseImageConfig(img.ConfigJSON)
	if len(cfg.Config.OnBuild) != 0 {
		t.Errorf("child inherited triggers %v", cfg.Config.OnBuild)
	}
	// A multi-stage build keeps its stage results alive for the cache.
	mustBuild(t, b, "FROM busybox AS s\nRUN echo s > /s\nFROM scratch\nCOPY --from=s /s /s\n", "", nil)
	held, _ := b.cache.heldImages()
	if len(held) != 1 || !b.Holds(held[0]) {
		t.Errorf("held stage images %v", held)
	}
	if _, err := b.Prune(t.Context()); err != nil {
		t.Fatal(err)
	}
	if held, _ := b.cache.heldImages(); len(held) != 0 {
		t.Errorf("after prune: %v", held)
	}
}

// A build killed mid-step (simulated: its lock file released, its
// snapshot, mount and bundle left behind) is swept by the next build.
func TestSweepDeadBuild(t *testing.T) {
	testbundle.RequireRoot(t)
	b := testBuilder(t, true)
	bd := &build{b: b, id: "deadbeef0001"}
	img, err := b.store.Get(t.Context(), "busybox")
	if err != nil {
		t.Fatal(err)
	}
	st, err := bd.imageState(t.Context(), img.ID.String())
	if err != nil {
		t.Fatal(err)
	}
	if err := bd.unpack(t.Context(), st); err != nil {
		t.Fatal(err)
	}
	sms, err := b.store.Snapshots().Prepare(t.Context(), "build-deadbeef0001-2", st.diffIDs())
	if err != nil {
		t.Fatal(err)
	}
	rootfs := filepath.Join(b.runroot, "deadbeef0001-2", "rootfs")
	if err := os.MkdirAll(rootfs, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := mountVolatile(rootfs, driverMounts(sms)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.runroot, "deadbeef0001.lock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	mustBuild(t, b, "FROM busybox\n", "", nil)
	if m, _ := mountinfo.Mounted(rootfs); m {
		t.Error("the dead build's rootfs is still mounted")
	}
	if _, err := os.Stat(filepath.Join(b.runroot, "deadbeef0001-2")); err == nil {
		t.Error("the dead build's bundle is still there")
	}
	snaps, _ := b.store.Snapshots().List(t.Context())
	if len(snaps) != 0 {
		t.Errorf("snapshots left: %+v", snaps)
	}
}

// Builds running at once on one root (parallel `onggi build`s) share the
// base layers, the cache and the image store without stepping on each
// other.
func TestConcurrentBuilds(t *testing.T) {
	testbundle.RequireRoot(t)
	b := testBuilder(t, true)
	errs := make(chan error, 4)
	for i := range 4 {
		go func() {
			df := "FROM busybox\nRUN echo shared > /shared\nRUN echo " + string(rune('a'+i)) + " > /mine\n"
			_, _, err := tryBuild(t, b, df, "", nil)
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	snaps, _ := b.store.Snapshots().List(t.Context())
	if len(snaps) != 0 {
		t.Errorf("snapshots left: %+v", snaps)
	}
}
