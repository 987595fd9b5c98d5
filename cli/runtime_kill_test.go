package cli

import (
	"syscall"
	"testing"
)

func TestParseSignal(t *testing.T) {
	for raw, want := range map[string]syscall.Signal{
		"9": syscall.SIGKILL, "KILL": syscall.SIGKILL, "SIGKILL": syscall.SIGKILL, "kill": syscall.SIGKILL,
		"sigterm": syscall.SIGTERM, "HUP": syscall.SIGHUP, "SIGRTMIN": 34, "RTMIN+3": 37,
		"SIGRTMAX": 64, "SIGRTMAX-2": 62,
	} {
		got, err := parseSignal(raw)
		if err != nil || got != want {
			t.Errorf("parseSignal(%q) = %d, %v; want %d", raw, got, err, want)
		}
	}
	for _, bad := range []string{"", "NOPE", "0", "65", "-1", "RTMIN+40", "RTMIN-1", "RTMAX+1"} {
		if sig, err := parseSignal(bad); err == nil {
			t.Errorf("parseSignal(%q) = %d, want an error", bad, sig)
		}
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{
		"1024": 1024, "-1": -1, "1k": 1 << 10, "1K": 1 << 10, "64m": 64 << 20, "64MB": 64 << 20,
		"2g": 2 << 30, "1GiB": 1 << 30, "1.5k": 1536, "0": 0,
	} {
		got, err := parseBytes(in)
		if err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "x", "-2", "1q", "k"} {
		if v, err := parseBytes(bad); err == nil {
			t.Errorf("parseBytes(%q) = %d, want an error", bad, v)
		}
	}
}

func TestLogValueQuotesLikeLogrus(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                    "plain",
		"container does not exist": `"container does not exist"`,
		"2026-12-02T19:26:55Z":     `"2026-12-02T19:26:55Z"`,
		`say "hi"`:                 `"say \"hi\""`,
		"":                         `""`,
	} {
		if got := logValue(in); got != want {
			t.Errorf("logValue(%q) = %s, want %s", in, got, want)
		}
	}
}
