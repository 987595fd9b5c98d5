package integration

import (
	"os/exec"
	"strings"
	"testing"
)

// TestBuildCorpusDocker builds the corpus with Docker (a private dockerd
// whose classic builder is the peer available here) and checks the same
// expectations, proving the corpus describes Docker's behaviour and not
// only onggi's. Cases needing BuildKit are skipped; for failing cases only
// the failure is compared (the classic builder's messages differ).
func TestBuildCorpusDocker(t *testing.T) {
	requireRootIntegration(t)
	if testing.Short() {
		t.Skip("the peer build takes minutes (dockerd on vfs)")
	}
	for _, bin := range []string{"dockerd", "docker", "containerd", "runc"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s is not installed (apt-get install docker.io)", bin)
		}
	}
	d := startDockerd(t)
	d.loadBusybox()
	// docker's CLI without buildx falls back to the daemon's classic builder.
	d.env = append(d.env, "DOCKER_BUILDKIT=0")
	for _, dir := range corpusCases(t) {
		bc := loadCase(t, dir)
		t.Run(bc.name, func(t *testing.T) {
			if bc.buildkitOnly != "" {
				t.Skip("buildkit-only: " + bc.buildkitOnly)
			}
			dockerBuildCase(t, d.in(t), bc)
		})
	}
}

func dockerBuildCase(t *testing.T, d *dockerd, bc buildCase) {
	for _, pb := range bc.prebuild {
		d.ok("build", "-q", "-t", pb[1], pb[0])
	}
	tag := "onggi-test/" + bc.name
	r := d.run(append(append([]string{"build", "-t", tag}, bc.args...), bc.dir)...)
	if len(bc.errors) > 0 {
		if r.code == 0 {
			t.Fatalf("docker built it; the corpus expects %q", bc.errors)
		}
		if bc.noImage && d.run("image", "inspect", tag).code == 0 {
			t.Errorf("docker left image %s", tag)
		}
		return
	}
	if r.code != 0 {
		t.Fatalf("docker build: %v", r)
	}
	for _, ck := range bc.checks {
		var out result
		switch ck.kind {
		case "config":
			tmpl := ck.what
			if !strings.Contains(tmpl, "{{") {
				tmpl = "{{json " + tmpl + "}}"
			}
			out = d.run("image", "inspect", "-f", tmpl, tag)
		case "run":
			out = d.run("run", "--rm", "--network", "none", tag, "sh", "-c", ck.what)
		case "exec":
			out = d.run(append([]string{"run", "--rm", "--network", "none", tag}, strings.Fields(ck.what)...)...)
		}
		got := strings.TrimSpace(out.stdout)
		if out.code != 0 || !sameValue(got, ck.want) {
			t.Errorf("expect:%d: %s %s\n got: %s (exit %d, %s)\nwant: %s", ck.line, ck.kind, ck.what, got, out.code, strings.TrimSpace(out.stderr), ck.want)
		}
	}
}
