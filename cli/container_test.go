package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func findCmd(t *testing.T, root *cobra.Command, args ...string) *cobra.Command {
	t.Helper()
	c, rest, err := root.Find(args)
	if err != nil || len(rest) != 0 || c.Name() != args[len(args)-1] && !c.HasAlias(args[len(args)-1]) {
		return nil
	}
	return c
}

// The verbs exist where docker has them: ps at the top level and as
// container ls/list, prune and the typed inspect only under container.
func TestContainerCommandTree(t *testing.T) {
	root := NewRootCmd()
	for _, path := range [][]string{
		{"ps"}, {"container", "ls"}, {"container", "list"}, {"container", "prune"}, {"container", "inspect"},
		{"inspect"}, {"logs"}, {"container", "logs"}, {"top"}, {"stats"}, {"cp"}, {"commit"}, {"export"},
		{"diff"}, {"port"}, {"volume", "create"}, {"volume", "ls"}, {"volume", "inspect"}, {"volume", "rm"},
		{"volume", "prune"}, {"system", "boot"}, {"system", "df"},
	} {
		if findCmd(t, root, path...) == nil {
			t.Errorf("%v: not registered", path)
		}
	}
	if c, _, _ := root.Find([]string{"prune"}); c != nil && c.Name() == "prune" {
		t.Error("prune must not exist at the top level")
	}
	if c := findCmd(t, root, "inspect"); c != nil && c.Flags().Lookup("type") == nil {
		t.Error("top-level inspect lacks --type (the container one shadowed it)")
	}
}

func TestRowFormatterJSONFunc(t *testing.T) {
	var buf bytes.Buffer
	fm, err := newRowFormatter(&buf, "{{json .}}", nil)
	if err != nil {
		t.Fatal(err)
	}
	fm.Row([]string{"sh", "-c", "a > b && c"})
	if got := strings.TrimSpace(buf.String()); got != `["sh","-c","a > b && c"]` {
		t.Errorf("json: %s", got)
	}
}

func TestConfirm(t *testing.T) {
	for in, want := range map[string]bool{"y\n": true, "YES\n": true, "n\n": false, "\n": false, "": false} {
		var out bytes.Buffer
		if got := confirm(strings.NewReader(in), &out, "WARNING! x"); got != want {
			t.Errorf("%q: %v", in, got)
		}
		if out.String() != "WARNING! x\nAre you sure you want to continue? [y/N] " {
			t.Errorf("prompt %q", out.String())
		}
	}
	var out bytes.Buffer
	printPruned(&out, "Deleted Containers:", []string{"a", "b"}, 0)
	if out.String() != "Deleted Containers:\na\nb\n\nTotal reclaimed space: 0B\n" {
		t.Errorf("report %q", out.String())
	}
}
