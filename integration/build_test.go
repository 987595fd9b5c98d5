package integration

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// corpusDir holds the Dockerfile corpus (see its README.md).
const corpusDir = "../builder/testdata"

// buildCase is one corpus directory and its parsed expect file.
type buildCase struct {
	name, dir string
	args      []string    // build flags from build-arg/target/file
	prebuild  [][2]string // dir, tag
	checks    []check
	errors    []string
	noImage   bool
	// buildkitOnly says why Docker's classic builder (the peer test's
	// dockerd 20.10) cannot build the case; "" when it can.
	buildkitOnly string
}

// check is one config/run/exec assertion.
type check struct {
	kind, what, want string
	line             int
}

func loadCase(t *testing.T, dir string) buildCase {
	t.Helper()
	bc := buildCase{name: filepath.Base(dir), dir: dir}
	f, err := os.Open(filepath.Join(dir, "expect"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for n := 1; s.Scan(); n++ {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		verb, rest, _ := strings.Cut(line, " ")
		switch verb {
		case "build-arg":
			bc.args = append(bc.args, "--build-arg", rest)
		case "target":
			bc.args = append(bc.args, "--target", rest)
		case "file":
			bc.args = append(bc.args, "-f", filepath.Join(dir, rest))
		case "prebuild":
			sub, tag, _ := strings.Cut(rest, " ")
			bc.prebuild = append(bc.prebuild, [2]string{filepath.Join(dir, sub), tag})
		case "error":
			bc.errors = append(bc.errors, rest)
		case "no-image":
			bc.noImage = true
		case "buildkit-only":
			bc.buildkitOnly = rest
		case "config", "run", "exec":
			what, want, ok := strings.Cut(" "+rest, " = ")
			if !ok {
				t.Fatalf("%s/expect:%d: no \" = \" in %q", bc.name, n, line)
			}
			bc.checks = append(bc.checks, check{kind: verb, what: strings.TrimSpace(what), want: strings.TrimSpace(want), line: n})
		default:
			t.Fatalf("%s/expect:%d: unknown directive %q", bc.name, n, verb)
		}
	}
	return bc
}

func corpusCases(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range ents {
		if e.IsDir() {
			abs, _ := filepath.Abs(filepath.Join(corpusDir, e.Name()))
			dirs = append(dirs, abs)
		}
	}
	sort.Strings(dirs)
	return dirs
}

// TestBuildCorpus builds every corpus case with the onggi binary and checks
// the resulting image's config and file tree by running containers of it.
func TestBuildCorpus(t *testing.T) {
	c := newContainerCLI(t)
	for _, dir := range corpusCases(t) {
		bc := loadCase(t, dir)
		t.Run(bc.name, func(t *testing.T) {
			parent := c.t
			c.t = t
			defer func() { c.t = parent }()
			runBuildCase(t, c, bc)
		})
	}
}

func runBuildCase(t *testing.T, c *containerCLI, bc buildCase) {
	for _, pb := range bc.prebuild {
		if r := c.run("build", "--progress=plain", "-t", pb[1], pb[0]); r.code != 0 {
			t.Fatalf("prebuild %s: %v", pb[0], r)
		}
	}
	tag := "onggi-test/" + bc.name
	before := imageLines(c.run("image", "ls", "-a", "-q", "--no-trunc").stdout)
	args := append([]string{"build", "--progress=plain", "-t", tag}, bc.args...)
	r := c.run(append(args, bc.dir)...)
	if len(bc.errors) > 0 {
		checkBuildFailed(t, c, bc, r, tag, before)
		return
	}
	if r.code != 0 {
		t.Fatalf("build: %v", r)
	}
	for _, ck := range bc.checks {
		got := c.checkOutput(t, ck, tag)
		if !sameValue(got, ck.want) {
			t.Errorf("expect:%d: %s %s\n got: %s\nwant: %s", ck.line, ck.kind, ck.what, got, ck.want)
		}
	}
}

func checkBuildFailed(t *testing.T, c *containerCLI, bc buildCase, r result, tag string, before []string) {
	t.Helper()
	if r.code == 0 {
		t.Fatalf("build succeeded, want an error containing %q", bc.errors)
	}
	out := r.stdout + r.stderr
	for _, e := range bc.errors {
		if !strings.Contains(out, e) {
			t.Errorf("build output lacks %q:\n%s", e, out)
		}
	}
	if !bc.noImage {
		return
	}
	if ri := c.run("image", "inspect", tag); ri.code == 0 {
		t.Errorf("image %s exists after a failed build", tag)
	}
	after := imageLines(c.run("image", "ls", "-a", "-q", "--no-trunc").stdout)
	if len(after) != len(before) {
		t.Errorf("failed build left images: before %v, after %v", before, after)
	}
	for _, d := range []string{c.root, c.runroot} {
		if m := mountsUnder(d); len(m) > 0 {
			t.Errorf("failed build left mounts: %v", m)
		}
	}
}

// checkOutput runs one assertion's command and returns its trimmed output.
func (c *containerCLI) checkOutput(t *testing.T, ck check, tag string) string {
	t.Helper()
	var r result
	switch ck.kind {
	case "config":
		tmpl := ck.what
		if !strings.Contains(tmpl, "{{") {
			tmpl = "{{json " + tmpl + "}}"
		}
		r = c.run("image", "inspect", "-f", tmpl, tag)
	case "run":
		r = c.run("run", "--rm", tag, "sh", "-c", ck.what)
	case "exec":
		r = c.run(append([]string{"run", "--rm", tag}, strings.Fields(ck.what)...)...)
	}
	if r.code != 0 {
		t.Errorf("expect:%d: %s %s: %v", ck.line, ck.kind, ck.what, r)
	}
	return strings.TrimSpace(r.stdout)
}

// sameValue compares as JSON when both sides are JSON (key order and
// spacing do not matter), else as text.
func sameValue(got, want string) bool {
	if got == want {
		return true
	}
	var g, w any
	if json.Unmarshal([]byte(got), &g) != nil || json.Unmarshal([]byte(want), &w) != nil {
		return false
	}
	return reflect.DeepEqual(g, w)
}

// TestBuildCorpusExpectFiles keeps the corpus well-formed without root.
func TestBuildCorpusExpectFiles(t *testing.T) {
	for _, dir := range corpusCases(t) {
		bc := loadCase(t, dir)
		if len(bc.checks) == 0 && len(bc.errors) == 0 {
			t.Errorf("%s: expect has no assertion", bc.name)
		}
		if _, err := os.Stat(filepath.Join(dir, "Dockerfile")); err != nil {
			if _, err2 := os.Stat(filepath.Join(dir, "dockerfile")); err2 != nil && !hasFileArg(bc) {
				t.Errorf("%s: no Dockerfile", bc.name)
			}
		}
	}
}

func hasFileArg(bc buildCase) bool {
	for _, a := range bc.args {
		if a == "-f" {
			return true
		}
	}
	return false
}
