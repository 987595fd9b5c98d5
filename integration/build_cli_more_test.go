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

// TestBuildImagePruneKeepsCache: the untagged stage images a multi-stage
// build keeps for its cache are the build cache's to prune: `image prune`
// leaves them (a rebuild stays cached), `builder prune` takes them.
func TestBuildImagePruneKeepsCache(t *testing.T) {
	c := newBuildCLI(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": "FROM busybox AS base\nRUN echo b > /b\n" +
		"FROM busybox\nCOPY --from=base /b /b\nRUN cat /b > /c\n"})
	c.build("-t", "ms:1", ctx)
	before := strings.Fields(c.ok("images", "-aq")) // ms:1, the base stage, busybox
	c.ok("image", "prune", "-f")                    // dangling: the stage images are untagged
	if after := strings.Fields(c.ok("images", "-aq")); len(before) != 3 || len(after) != len(before) {
		t.Errorf("image prune took the cache's stage image: %v → %v", before, after)
	}
	out := c.build("-t", "ms:2", ctx)
	for s, cached := range steps(t, out) {
		if !cached {
			t.Errorf("after image prune: %s rerun\n%s", s, out)
		}
	}
	c.ok("builder", "prune", "-f")
	c.ok("rmi", "ms:1", "ms:2")
	if out := strings.TrimSpace(c.ok("images", "-aq")); strings.Count(out, "\n")+1 != 1 {
		t.Errorf("images left after builder prune and rmi (only busybox expected):\n%s", c.ok("images", "-a"))
	}
}
