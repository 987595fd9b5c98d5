package seccomp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestCacheCompilesOnce(t *testing.T) {
	dir := t.TempDir()
	cfg := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno},
	}}
	want, err := Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := NewCache(dir)
	got, err := c.Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("cached program differs from a fresh compile")
	}
	again, _ := c.Compile(cfg)
	if again != got {
		t.Errorf("second Compile did not come from memory")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != 1 {
		t.Fatalf("cache files: %v", files)
	}
	// Another process (a fresh Cache) reads the file instead of compiling.
	fromFile, err := NewCache(dir).Compile(cfg)
	if err != nil || !reflect.DeepEqual(fromFile, want) {
		t.Fatalf("program from file: %v", err)
	}
	// A different profile is a different entry.
	cfg2 := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno}
	if _, err := c.Compile(cfg2); err != nil {
		t.Fatal(err)
	}
	if files, _ = filepath.Glob(filepath.Join(dir, "*.json")); len(files) != 2 {
		t.Errorf("cache files after a second profile: %v", files)
	}
	// A corrupt file is ignored and replaced, never an error.
	os.WriteFile(files[0], []byte("{corrupt"), 0o600)
	os.WriteFile(files[1], []byte(`{"prog":"AAA="}`), 0o600)
	for _, p := range []*specs.LinuxSeccomp{cfg, cfg2} {
		if _, err := NewCache(dir).Compile(p); err != nil {
			t.Errorf("corrupt cache file made Compile fail: %v", err)
		}
	}
	if f, err := NewCache(dir).Compile(nil); f != nil || err != nil {
		t.Errorf("nil profile: %v %v", f, err)
	}
}

func TestFilterJSONRoundTrip(t *testing.T) {
	f, err := Compile(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog},
		Syscalls: []specs.LinuxSyscall{{Names: []string{"chmod"}, Action: specs.ActErrno}}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var back Filter
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, f) {
		t.Errorf("round trip changed the filter")
	}
}
