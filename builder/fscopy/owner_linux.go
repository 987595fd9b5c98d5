//go:build linux

package fscopy

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/moby/sys/user"

	"github.com/onggi/onggi/errdefs"
)

// owner is an explicit uid/gid (--chown).
type owner struct{ uid, gid int }

// parseChown resolves "user[:group]" against destRoot's /etc/passwd and
// /etc/group (read inside destRoot). A name alone takes the user's
// primary group, a numeric uid alone gid = uid (BuildKit's rules).
func parseChown(destRoot, spec string) (*owner, error) {
	if spec == "" {
		return nil, nil
	}
	u, g, hasGroup := strings.Cut(spec, ":")
	if u == "" || (hasGroup && g == "") {
		return nil, errdefs.Errorf(errdefs.ErrInvalid, "invalid --chown %q", spec)
	}
	var o owner
	if id, err := strconv.Atoi(u); err == nil {
		o = owner{uid: id, gid: id}
	} else {
		users, err := readDB(destRoot, "etc/passwd", func(f *os.File) (any, error) {
			return user.ParsePasswdFilter(f, func(x user.User) bool { return x.Name == u })
		})
		if err != nil {
			return nil, fmt.Errorf("unable to find user %s: %w", u, err)
		}
		list, _ := users.([]user.User)
		if len(list) == 0 {
			return nil, errdefs.Errorf(errdefs.ErrInvalid, "unable to find user %s: no matching entries in passwd file", u)
		}
		o = owner{uid: list[0].Uid, gid: list[0].Gid}
	}
	if !hasGroup {
		return &o, nil
	}
	if id, err := strconv.Atoi(g); err == nil {
		o.gid = id
		return &o, nil
	}
	groups, err := readDB(destRoot, "etc/group", func(f *os.File) (any, error) {
		return user.ParseGroupFilter(f, func(x user.Group) bool { return x.Name == g })
	})
	if err != nil {
		return nil, fmt.Errorf("unable to find group %s: %w", g, err)
	}
	list, _ := groups.([]user.Group)
	if len(list) == 0 {
		return nil, errdefs.Errorf(errdefs.ErrInvalid, "unable to find group %s: no matching entries in group file", g)
	}
	o.gid = list[0].Gid
	return &o, nil
}

// readDB opens rel inside destRoot (symlinks resolved inside it) and
// parses it.
func readDB(destRoot, rel string, parse func(*os.File) (any, error)) (any, error) {
	h, err := pathrs.OpenInRoot(destRoot, rel)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, errdefs.Errorf(errdefs.ErrInvalid, "/%s: no such file", rel)
		}
		return nil, err
	}
	defer h.Close()
	f, err := pathrs.Reopen(h, os.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parse(f)
}
