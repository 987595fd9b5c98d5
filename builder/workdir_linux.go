package builder

import (
	"fmt"
	"os"
	"path/filepath"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/onggi/onggi/container/spec"
)

// makeWorkdir creates wd and its missing parents inside rootfs, owned by
// user (resolved in the image's /etc/passwd) when one is set.
func makeWorkdir(rootfs, wd, user string) error {
	uid, gid := 0, 0
	if user != "" {
		u, err := spec.ResolveUser(rootfs, user, nil)
		if err != nil {
			return err
		}
		uid, gid = int(u.UID), int(u.GID)
	}
	var missing []string
	for p := filepath.Clean(wd); p != "/"; p = filepath.Dir(p) {
		hp, err := securejoin.SecureJoin(rootfs, p)
		if err != nil {
			return err
		}
		if _, err := os.Lstat(hp); err == nil {
			break
		}
		missing = append(missing, p)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		hp, err := securejoin.SecureJoin(rootfs, missing[i])
		if err != nil {
			return err
		}
		if err := os.Mkdir(hp, 0o755); err != nil && !os.IsExist(err) {
			return fmt.Errorf("creating WORKDIR %s: %w", wd, err)
		}
		if err := os.Lchown(hp, uid, gid); err != nil {
			return fmt.Errorf("creating WORKDIR %s: %w", wd, err)
		}
	}
	return nil
}
