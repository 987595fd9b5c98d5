package bootstrap

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"sort"
	"strings"
	"time"
)

// BusyboxBinary is where Debian's busybox-static installs the binary.
const BusyboxBinary = "/bin/busybox"

// DefaultPath is the PATH docker's official images set.
const DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

const busyboxPasswd = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
`

const busyboxGroup = `root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
wheel:x:10:root
mail:x:12:
www-data:x:33:
operator:x:37:
users:x:100:
nogroup:x:65534:
`

// busyboxDirs are the directories of the image and their modes. /dev, /proc
// and /sys are mount points the runtime fills; /tmp is sticky and
// world-writable as on any Unix system.
var busyboxDirs = map[string]int64{
	"bin": 0o755, "dev": 0o755, "etc": 0o755, "home": 0o755, "proc": 0o555,
	"root": 0o700, "sbin": 0o755, "sys": 0o555, "tmp": 0o1777, "usr": 0o755,
	"usr/bin": 0o755, "usr/sbin": 0o755, "var": 0o755, "var/spool": 0o755,
	"var/spool/mail": 0o755, "var/www": 0o755,
}

// BusyboxInfo describes the binary a busybox layer was made from.
type BusyboxInfo struct {
	// Version is busybox's own banner, e.g. "v1.35.0 (Debian 1:1.35.0-4+b3)".
	Version string
	// Created is the binary's mtime: every entry of the layer and the image
	// config carry it, so two bootstraps from one binary are identical.
	Created time.Time
	// Applets are the link paths (relative, sorted) that point at the binary.
	Applets []string
}

// ProbeBusybox reads the version, mtime and applet list of a static busybox.
func ProbeBusybox(bin string) (*BusyboxInfo, error) {
	fi, err := os.Stat(bin)
	if err != nil {
		return nil, fmt.Errorf("busybox binary (apt-get install busybox-static): %w", err)
	}
	out, err := exec.Command(bin, "--list-full").Output()
	if err != nil {
		return nil, fmt.Errorf("listing applets of %s: %w", bin, err)
	}
	var applets []string
	for _, a := range strings.Fields(string(out)) {
		a = strings.TrimPrefix(path.Clean("/"+a), "/")
		if a != "" && a != "bin/busybox" {
			applets = append(applets, a)
		}
	}
	sort.Strings(applets)
	banner, _ := exec.Command(bin).Output() // exits 0 or 1 depending on build; the banner is on stdout either way
	version := "unknown"
	if line, _, _ := strings.Cut(string(banner), "\n"); strings.HasPrefix(line, "BusyBox ") {
		version = strings.TrimSuffix(strings.TrimPrefix(line, "BusyBox "), " multi-call binary.")
	}
	return &BusyboxInfo{Version: version, Created: fi.ModTime().UTC().Truncate(time.Second), Applets: applets}, nil
}

// WriteBusyboxLayer writes the busybox root filesystem as an uncompressed
// layer tar: /bin/busybox, a hard link per applet (as the official image
// has), /etc/passwd, /etc/group and the usual directories. Entries are sorted
// and every timestamp is info.Created, so the output depends only on the
// binary.
func WriteBusyboxLayer(w io.Writer, bin string, info *BusyboxInfo) error {
	f, err := os.Open(bin)
	if err != nil {
		return fmt.Errorf("opening busybox: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat busybox: %w", err)
	}
	entries := busyboxEntries(info, fi.Size())
	tw := tar.NewWriter(w)
	for _, e := range entries {
		if err := tw.WriteHeader(e.hdr); err != nil {
			return fmt.Errorf("writing layer entry %s: %w", e.hdr.Name, err)
		}
		if e.hdr.Name == "bin/busybox" {
			if _, err := io.CopyN(tw, f, fi.Size()); err != nil {
				return fmt.Errorf("copying busybox into the layer: %w", err)
			}
		} else if e.body != nil {
			if _, err := tw.Write(e.body); err != nil {
				return fmt.Errorf("writing layer entry %s: %w", e.hdr.Name, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("closing layer tar: %w", err)
	}
	return nil
}

type layerEntry struct {
	hdr  *tar.Header
	body []byte
}

// busyboxEntries lists the layer's entries in a fixed order: directories
// first (sorted, so parents precede children), then the binary, then files,
// then the applet links, which must follow the binary they point at.
func busyboxEntries(info *BusyboxInfo, binSize int64) []layerEntry {
	hdr := func(name string, typ byte, mode int64) *tar.Header {
		return &tar.Header{Name: name, Typeflag: typ, Mode: mode, ModTime: info.Created}
	}
	dirs := map[string]int64{}
	for d, m := range busyboxDirs {
		dirs[d] = m
	}
	for _, a := range info.Applets { // every applet's parent must exist
		for d := path.Dir(a); d != "."; d = path.Dir(d) {
			if _, ok := dirs[d]; !ok {
				dirs[d] = 0o755
			}
		}
	}
	var names []string
	for d := range dirs {
		names = append(names, d)
	}
	sort.Strings(names)
	var out []layerEntry
	for _, d := range names {
		out = append(out, layerEntry{hdr: hdr(d+"/", tar.TypeDir, dirs[d])})
	}
	bin := hdr("bin/busybox", tar.TypeReg, 0o755)
	bin.Size = binSize
	out = append(out, layerEntry{hdr: bin})
	for _, f := range []struct{ name, body string }{{"etc/group", busyboxGroup}, {"etc/passwd", busyboxPasswd}} {
		h := hdr(f.name, tar.TypeReg, 0o644)
		h.Size = int64(len(f.body))
		out = append(out, layerEntry{hdr: h, body: bytes.Clone([]byte(f.body))})
	}
	for _, a := range info.Applets {
		h := hdr(a, tar.TypeLink, 0o755)
		h.Linkname = "bin/busybox"
		out = append(out, layerEntry{hdr: h})
	}
	return out
}
