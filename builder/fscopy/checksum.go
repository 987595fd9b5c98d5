package fscopy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"

	digest "github.com/opencontainers/go-digest"
)

// checksum hashes the options and, for every item, what it writes. It
// leans on the same plan as Copy so both always agree on what is copied.
func checksum(src Source, o Options) (digest.Digest, error) {
	chmod, err := parseChmod(o.Chmod)
	if err != nil {
		return "", err
	}
	items, err := plan(src, o)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "onggi-copy-v1\x00%s\x00dest=%s\x00chown=%s\x00chmod=%s\x00parents=%t\x00extract=%t\x00context=%t\n",
		o.instruction(), o.Dest, o.Chown, o.Chmod, o.Parents, o.ExtractTar, src.Context)
	for _, it := range items {
		if err := hashItem(h, src, o, it, chmod); err != nil {
			return "", err
		}
	}
	return digest.NewDigestFromEncoded(digest.SHA256, hex.EncodeToString(h.Sum(nil))), nil
}

func hashItem(h hash.Hash, src Source, o Options, it item, chmod *chmodSpec) error {
	fmt.Fprintf(h, "item\x00%s\x00keep=%s\x00dir=%t\n", it.src, it.keep, it.dir)
	if it.url != "" {
		return hashURL(h, it.url)
	}
	links := map[inode]string{}
	for _, e := range it.entries {
		if err := hashEntry(h, src, o, e, chmod, links); err != nil {
			return err
		}
	}
	return nil
}

type inode struct{ dev, ino uint64 }

func inodeOf(fi fs.FileInfo) (inode, uint64, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return inode{}, 0, false
	}
	return inode{uint64(st.Dev), uint64(st.Ino)}, uint64(st.Nlink), true
}

// hashEntry writes one entry's line: path, type, mode, owner, then its
// symlink target, hard-link target or content digest.
func hashEntry(h hash.Hash, src Source, o Options, e entry, chmod *chmodSpec, links map[inode]string) error {
	fi := e.fi
	mode := fi.Mode()
	perm := permBits(mode)
	if chmod != nil && mode&fs.ModeSymlink == 0 {
		perm = chmod.apply(perm, mode.IsDir())
	}
	uid, gid := -1, -1 // "as the instruction says" (context 0:0 or --chown)
	if !src.Context && o.Chown == "" {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			uid, gid = int(st.Uid), int(st.Gid)
		}
	}
	fmt.Fprintf(h, "%s\x00%s\x00%o\x00%d:%d\x00", e.rel, mode.Type(), perm, uid, gid)
	if mode&fs.ModeSymlink == 0 {
		for _, x := range readXattrs(e.abs) {
			fmt.Fprintf(h, "xattr=%q=%q\x00", x[0], x[1])
		}
	}
	switch {
	case mode&fs.ModeSymlink != 0:
		fmt.Fprintf(h, "link=%s\n", e.link)
		return nil
	case mode&(fs.ModeDevice|fs.ModeCharDevice) != 0:
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			fmt.Fprintf(h, "rdev=%d\n", st.Rdev)
		}
		return nil
	case !mode.IsRegular():
		fmt.Fprintln(h)
		return nil
	}
	if ino, nlink, ok := inodeOf(fi); ok && nlink > 1 {
		if first, seen := links[ino]; seen {
			fmt.Fprintf(h, "hardlink=%s\n", first)
			return nil
		}
		links[ino] = e.rel
	}
	sum, err := src.Digests.digest(e.abs, fi)
	if err != nil {
		return err
	}
	fmt.Fprintf(h, "%s\n", sum)
	return nil
}

func fileDigest(full string) (string, error) {
	f, err := os.OpenFile(full, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return "", fmt.Errorf("hashing %s: %w", full, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing %s: %w", full, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashURL downloads url and hashes its name and content.
func hashURL(h hash.Hash, url string) error {
	dl, err := download(url)
	if err != nil {
		return err
	}
	defer dl.remove()
	sum, err := fileDigest(dl.path)
	if err != nil {
		return err
	}
	fmt.Fprintf(h, "url\x00%s\x00%s\n", strings.TrimSpace(dl.name), sum)
	return nil
}
