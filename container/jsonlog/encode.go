package jsonlog

import (
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"
)

// appendEntry appends one log line as dockerd's json-file driver writes
// it: fields in docker's order, time in RFC 3339 with nanoseconds (trailing
// zeros trimmed, as Go's RFC3339Nano and dockerd do), newline-terminated.
func appendEntry(buf []byte, stream string, log []byte, t time.Time) []byte {
	buf = append(buf, `{"log":`...)
	buf = appendString(buf, log)
	buf = append(buf, `,"stream":`...)
	buf = appendString(buf, []byte(stream))
	buf = append(buf, `,"time":"`...)
	buf = t.UTC().AppendFormat(buf, time.RFC3339Nano)
	return append(buf, "\"}\n"...)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string escaped byte for byte as dockerd
// escapes log lines (so tools that compare files see no difference): \n,
// \r, \\ and \" short, other control characters and <, >, & as \u00XX,
// U+2028/U+2029 escaped, invalid UTF-8 as \ufffd. encoding/json differs
// (\t short, for one), hence a hand-written encoder.
func appendString(buf, s []byte) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '\\' && b != '"' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch b {
			case '\\', '"':
				buf = append(buf, '\\', b)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(append(buf, s[start:i]...), `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf = append(append(buf, s[start:i]...), '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// wireEntry is an entry as stored; "attrs" (docker's --log-opt labels) is
// accepted and ignored.
type wireEntry struct {
	Log    string    `json:"log"`
	Stream string    `json:"stream"`
	Time   time.Time `json:"time"`
}

// decodeEntry parses one line of a json-file log (without its newline).
func decodeEntry(line []byte) (Entry, error) {
	var w wireEntry
	if err := json.Unmarshal(line, &w); err != nil {
		return Entry{}, fmt.Errorf("decoding log entry %.80q: %w", line, err)
	}
	return Entry{Stream: w.Stream, Log: []byte(w.Log), Time: w.Time}, nil
}
