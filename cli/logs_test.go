package cli

import (
	"testing"
	"time"
)

func TestParseLogTime(t *testing.T) {
	now := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"":                          {},
		"10m":                       now.Add(-10 * time.Minute),
		"1h30m":                     now.Add(-90 * time.Minute),
		"2013-01-02T13:23:37Z":      time.Date(2013, 1, 2, 13, 23, 37, 0, time.UTC),
		"2013-01-02T13:23:37+02:00": time.Date(2013, 1, 2, 11, 23, 37, 0, time.UTC),
		"2013-01-02T13:23:37.5Z":    time.Date(2013, 1, 2, 13, 23, 37, 5e8, time.UTC),
		"2013-01-02":                time.Date(2013, 1, 2, 0, 0, 0, 0, time.Local),
		"1357133017":                time.Unix(1357133017, 0),
		"1357133017.25":             time.Unix(1357133017, 25e7),
	} {
		got, err := parseLogTime(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("%q: %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"yesterday", "2013-13-45", "12.x"} {
		if _, err := parseLogTime(bad, now); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseTail(t *testing.T) {
	for in, want := range map[string]int{"all": -1, "": -1, "0": 0, "5": 5, "-1": -1} {
		if got, err := parseTail(in); err != nil || got != want {
			t.Errorf("%q: %d %v", in, got, err)
		}
	}
	if _, err := parseTail("many"); err == nil {
		t.Error("bad tail accepted")
	}
}
