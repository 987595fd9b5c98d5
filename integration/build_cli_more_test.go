package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuildLabelsAndTags(t *testing.T) {
	c := newBuildCLI(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": "FROM busybox\nLABEL from=file\n"})
	c.build("--label", "from=cli", "--label", "extra=1", "-t", "multi:one", "-t", "multi:two", ctx)
	if a, b := c.imageID("multi:one"), c.imageID("multi:two"); a != b {
		t.Errorf("tags point at %s and %s", a, b)
	}
	var labels map[string]string
	json.Unmarshal([]byte(c.ok("image", "inspect", "-f", "{{json .Config.Labels}}", "multi:one")), &labels)
	// --label overrides the Dockerfile's LABEL, as docker does.
	if labels["from"] != "cli" || labels["extra"] != "1" {
		t.Errorf("labels %v", labels)
	}
}

func TestBuildRelativeDockerfileIsCwdRelative(t *testing.T) {
	c := newBuildCLI(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN exit 9\n", "a.txt": "A"})
	cwd := writeContext(t, map[string]string{"df/Custom": "FROM busybox\nCOPY a.txt /a\n"})
	cmd := c.command("build", "-f", "df/Custom", "-t", "relf", ctx)
	cmd.Dir = cwd
	if r := runCmd(t, cmd); r.code != 0 {
		t.Fatalf("build -f df/Custom: %v", r)
	}
	if got := c.runOut("relf", "cat /a"); got != "A" {
		t.Fatalf("/a = %q", got)
	}
}

func TestBuildIgnoredChangeKeepsCache(t *testing.T) {
	c := newBuildCLI(t)
	ctx := writeContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nCOPY . /app/\nRUN ls /app > /listing\n", ".dockerignore": "*.log\n",
		"main.txt": "m", "debug.log": "1",
	})
	c.build("-t", "ign:1", ctx)
	os.WriteFile(filepath.Join(ctx, "debug.log"), []byte("2"), 0o644)
	os.WriteFile(filepath.Join(ctx, "new.log"), []byte("3"), 0o644)
	out := c.build("-t", "ign:2", ctx)
	for s, cached := range steps(t, out) {
		if !cached {
			t.Errorf("%s rerun after a change to ignored files:\n%s", s, out)
		}
	}
	if c.imageID("ign:1") != c.imageID("ign:2") {
		t.Error("image changed")
	}
}

func TestBuildSystemPruneClearsCache(t *testing.T) {
	c := newBuildCLI(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo x > /x\n"})
	c.build("-t", "sp:1", ctx)
	c.ok("rmi", "sp:1")
	c.ok("system", "prune", "-f")
	out := c.build("-t", "sp:2", ctx)
	for s, cached := range steps(t, out) {
		if cached {
			t.Errorf("after system prune: %s CACHED", s)
		}
	}
}

// TestBuildHistoryShape checks the image's history as BuildKit writes it:
// created_by texts, "# buildkit" on filesystem steps, empty layers for
// config-only steps, one diff ID per filesystem step.
func TestBuildHistoryShape(t *testing.T) {
	c := newBuildCLI(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": "FROM busybox\nENV A=b\nWORKDIR /w\nCOPY Dockerfile /d\nRUN echo x > /x\nLABEL l=v\nUSER nobody\nCMD [\"sh\"]\n"})
	c.build("-t", "hist", ctx)
	got := imageLines(c.ok("image", "history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Size}}", "hist"))
	want := []string{`CMD ["sh"]|0B`, "USER nobody|0B", "LABEL l=v|0B", "RUN /bin/sh -c echo x > /x # buildkit|", "COPY Dockerfile /d # buildkit|", "WORKDIR /w|", "ENV A=b|0B"}
	if len(got) != len(want)+1 {
		t.Fatalf("history:\n%s", strings.Join(got, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], w) || (strings.HasSuffix(w, "|") && strings.HasSuffix(got[i], "|0B")) {
			t.Errorf("history[%d] = %q, want %q…", i, got[i], w)
		}
	}
	layers := strings.TrimSpace(c.ok("image", "inspect", "-f", "{{len .RootFS.Layers}}", "hist"))
	if layers != "4" {
		t.Errorf("%s layers, want 4 (busybox + WORKDIR, COPY, RUN)", layers)
	}
}
