package spec

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/onggi/onggi/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

const testPasswd = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
app:x:1000:1000:app:/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
`

const testGroup = `root:x:0:
daemon:x:1:
audio:x:29:app
video:x:44:app,daemon
app:x:1000:
staff:x:50:
nogroup:x:65534:
`

// userRootfs makes a rootfs holding only /etc/passwd and /etc/group.
func userRootfs(t *testing.T, passwd, group string) string {
	t.Helper()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"passwd": passwd, "group": group} {
		if data == "" {
			continue
		}
		if err := os.WriteFile(filepath.Join(root, "etc", name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestResolveUser(t *testing.T) {
	root := userRootfs(t, testPasswd, testGroup)
	for _, tc := range []struct {
		user     string
		groupAdd []string
		want     specs.User
	}{
		{"", nil, specs.User{UID: 0, GID: 0, AdditionalGids: []uint32{0}}},
		{"root", nil, specs.User{UID: 0, GID: 0, AdditionalGids: []uint32{0}}},
		{"app", nil, specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{1000, 29, 44}}},
		{"1000", nil, specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{1000, 29, 44}}},
		{"daemon", nil, specs.User{UID: 1, GID: 1, AdditionalGids: []uint32{1, 44}}},
		{"app:staff", nil, specs.User{UID: 1000, GID: 50, AdditionalGids: []uint32{50}}},
		{"app:7", nil, specs.User{UID: 1000, GID: 7, AdditionalGids: []uint32{7}}},
		{"1000:1000", nil, specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{1000}}},
		{"4242", nil, specs.User{UID: 4242, GID: 0, AdditionalGids: []uint32{0}}},
		{"4242:4343", nil, specs.User{UID: 4242, GID: 4343, AdditionalGids: []uint32{4343}}},
		{"nobody", []string{"staff", "777"}, specs.User{UID: 65534, GID: 65534, AdditionalGids: []uint32{65534, 50, 777}}},
	} {
		t.Run(tc.user, func(t *testing.T) {
			got, err := ResolveUser(root, tc.user, tc.groupAdd)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ResolveUser(%q, %q) = %+v, want %+v", tc.user, tc.groupAdd, got, tc.want)
			}
		})
	}
}

func TestResolveUserErrors(t *testing.T) {
	root := userRootfs(t, testPasswd, testGroup)
	for _, tc := range []struct {
		user     string
		groupAdd []string
		msg      string
	}{
		{"ghost", nil, "unable to find user ghost: no matching entries in passwd file"},
		{"app:ghosts", nil, "unable to find group ghosts: no matching entries in group file"},
		{"app", []string{"ghosts"}, "ghosts"},
		{"99999999999", nil, "must be in range"},
	} {
		_, err := ResolveUser(root, tc.user, tc.groupAdd)
		if !errors.Is(err, errdefs.ErrInvalid) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("ResolveUser(%q, %q) error = %v, want ErrInvalid containing %q", tc.user, tc.groupAdd, err, tc.msg)
		}
	}
}

// An image without /etc/passwd (scratch images): numeric users work, names
// cannot be resolved, root is uid 0 gid 0.
func TestResolveUserNoPasswd(t *testing.T) {
	root := t.TempDir()
	got, err := ResolveUser(root, "", []string{"10"})
	if err != nil || got.UID != 0 || got.GID != 0 || !reflect.DeepEqual(got.AdditionalGids, []uint32{0, 10}) {
		t.Fatalf("root in scratch: %+v, %v", got, err)
	}
	if got, err = ResolveUser(root, "123:456", nil); err != nil || got.UID != 123 || got.GID != 456 {
		t.Fatalf("123:456 in scratch: %+v, %v", got, err)
	}
	if _, err := ResolveUser(root, "app", nil); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("name in scratch: %v, want ErrInvalid", err)
	}
	if _, err := ResolveUser(root, "0", []string{"wheel"}); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("group name in scratch: %v, want ErrInvalid", err)
	}
}

// A malicious image makes /etc/passwd a symlink out of its root: it must
// resolve inside the rootfs (as if chrooted), never to the host file.
func TestResolveUserSymlinkEscape(t *testing.T) {
	host := t.TempDir()
	hostPasswd := filepath.Join(host, "passwd")
	if err := os.WriteFile(hostPasswd, []byte("evil:x:4321:4321::/:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := userRootfs(t, "", "")
	rel, err := filepath.Rel(filepath.Join(root, "etc"), hostPasswd)
	if err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{
		"absolute": "/../../../../../../../../" + hostPasswd,
		"relative": rel,
	} {
		t.Run(name, func(t *testing.T) {
			link := filepath.Join(root, "etc", "passwd")
			_ = os.Remove(link)
			if err := os.Symlink(target, link); err != nil {
				t.Fatal(err)
			}
			if _, err := ResolveUser(root, "evil", nil); !errors.Is(err, errdefs.ErrInvalid) {
				t.Fatalf("ResolveUser followed the symlink to the host: err = %v", err)
			}
		})
	}

	// The same link resolved inside the root reaches the image's own file.
	inside := filepath.Join(root, host)
	if err := os.MkdirAll(inside, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(inside, "passwd"), []byte("good:x:77:88::/:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = os.Remove(filepath.Join(root, "etc", "passwd"))
	if err := os.Symlink("/../../"+hostPasswd, filepath.Join(root, "etc", "passwd")); err != nil {
		t.Fatal(err)
	}
	got, err := ResolveUser(root, "good", nil)
	if err != nil || got.UID != 77 || got.GID != 88 {
		t.Fatalf("in-root symlink: %+v, %v", got, err)
	}
}

// A fifo or device as /etc/passwd would block or never end: refused.
func TestResolveUserNotRegular(t *testing.T) {
	root := userRootfs(t, "", testGroup)
	if err := mkfifo(filepath.Join(root, "etc", "passwd")); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if _, err := ResolveUser(root, "app", nil); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("fifo passwd: err = %v, want ErrInvalid", err)
	}
}
