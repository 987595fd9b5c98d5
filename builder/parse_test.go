package builder

import (
	"errors"
	"strings"
	"testing"

	"github.com/onggi/onggi/errdefs"
)

func TestParseErrorsNameFileAndLine(t *testing.T) {
	cases := []struct {
		name, df, want string
		line           int
	}{
		{"unknown instruction", "FROM busybox\nRUN true\nFOO bar\n", "unknown instruction: FOO", 3},
		{"unknown flag", "FROM busybox\nRUN --bogus=1 true\n", "unknown flag: --bogus", 2},
		{"bad network", "FROM busybox\n\nRUN --network=bridge true\n", "network", 3},
		{"no from", "RUN true\n", "no build stage", 1},
		{"unterminated heredoc", "FROM busybox\nCOPY <<EOF /x\nhello\n", "heredoc", 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("my.Dockerfile", []byte(c.df))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("want ParseError, got %v", err)
			}
			if pe.File != "my.Dockerfile" || pe.Line != c.line {
				t.Errorf("location %s:%d, want my.Dockerfile:%d (%v)", pe.File, pe.Line, c.line, err)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "my.Dockerfile:") {
				t.Errorf("error %q, want it to name the file and contain %q", err, c.want)
			}
			if !errors.Is(err, errdefs.ErrInvalid) {
				t.Errorf("error %v is not ErrInvalid", err)
			}
		})
	}
}

func TestParseHeredocsAndDirectives(t *testing.T) {
	df, err := Parse("", []byte("# escape=`\nFROM busybox\nRUN echo a `\n  b\nRUN <<EOT\necho one\necho two\nEOT\n"))
	if err != nil {
		t.Fatal(err)
	}
	if df.Escape != '`' || len(df.Stages) != 1 || len(df.Stages[0].Commands) != 2 {
		t.Fatalf("parsed %+v", df)
	}
}

func TestParseTrigger(t *testing.T) {
	cmd, err := parseTrigger("RUN echo onbuild > /ob")
	if err != nil || !strings.EqualFold(cmd.Name(), "run") {
		t.Fatalf("trigger: %v %v", cmd, err)
	}
	if _, err := parseTrigger("FOO x"); err == nil {
		t.Fatal("bad trigger accepted")
	}
}
