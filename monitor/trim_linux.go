package monitor

import (
	"bufio"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// dropTextMappings unmaps the pages of the executable's read-only segments
// (text, rodata) from this process with MADV_DONTNEED, after marking them
// MADV_NOHUGEPAGE so the refaults map 4 KiB pages rather than whole 2 MiB
// folios. For a private mapping that was never written, DONTNEED only
// zaps page-table entries: the page cache keeps the pages (other onggi
// processes still share them) and the next access is a minor fault.
// Writable segments (.data, .bss) are never touched.
func dropTextMappings() {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 6 || fields[5] != exe || strings.Contains(fields[1], "w") {
			continue
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		madvise(uintptr(start), uintptr(end-start), unix.MADV_NOHUGEPAGE)
		madvise(uintptr(start), uintptr(end-start), unix.MADV_DONTNEED)
	}
}

func madvise(addr, length uintptr, advice int) {
	_, _, _ = unix.Syscall(unix.SYS_MADVISE, addr, length, uintptr(advice))
}
