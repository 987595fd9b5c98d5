package runtime

// TEMPORARY timing spans for the start-path investigation; removed afterwards.

import (
	"fmt"
	"os"
	"time"
)

var tmpTiming = os.Getenv("ONGGI_TIMING") != ""

// TmpSpan prints the wall-clock time (µs within the second) of a point.
func TmpSpan(name string) {
	if !tmpTiming {
		return
	}
	t := time.Now()
	fmt.Fprintf(os.Stderr, "T %d.%06d %d %s\n", t.Unix(), t.Nanosecond()/1000, os.Getpid(), name)
}
