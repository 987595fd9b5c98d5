package builder

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/onggi/onggi/errdefs"
)

// Dockerfile is a parsed Dockerfile.
type Dockerfile struct {
	// Name is the file name errors report ("Dockerfile").
	Name string
	// Stages are the FROM sections in order.
	Stages []instructions.Stage
	// MetaArgs are the ARGs before the first FROM (global scope).
	MetaArgs []instructions.ArgCommand
	// Escape is the escape character (the `# escape=` directive).
	Escape rune
	// Warnings are the parser's (empty continuation lines, …).
	Warnings []string
	lines    []string
}

// ParseError is a Dockerfile error at a line: a syntax error, an unknown
// instruction or flag, or a step that failed to expand.
type ParseError struct {
	File        string
	Line        int
	Instruction string // the instruction's source text
	Err         error
}

func (e *ParseError) Error() string {
	if e.Instruction == "" {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s:%d: %s: %v", e.File, e.Line, e.Instruction, e.Err)
}

// Unwrap makes a ParseError errdefs.ErrInvalid and keeps its cause.
func (e *ParseError) Unwrap() []error { return []error{errdefs.ErrInvalid, e.Err} }

// Parse parses a Dockerfile named name (for error messages).
func Parse(name string, data []byte) (*Dockerfile, error) {
	if name == "" {
		name = "Dockerfile"
	}
	df := &Dockerfile{Name: name, lines: strings.Split(string(data), "\n")}
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, df.locate(err)
	}
	df.Escape = rune(res.EscapeToken)
	for _, w := range res.Warnings {
		df.Warnings = append(df.Warnings, w.Short)
	}
	stages, metaArgs, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return nil, df.locate(err)
	}
	if len(stages) == 0 {
		return nil, fmt.Errorf("%s: %w: the Dockerfile has no FROM instruction", name, errdefs.ErrInvalid)
	}
	df.Stages, df.MetaArgs = stages, metaArgs
	return df, nil
}

// locate turns a BuildKit error with a location into a ParseError naming
// the file, the line and the instruction's text.
func (df *Dockerfile) locate(err error) error {
	var le *parser.LocationError
	if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
		r := le.Locations[0]
		return df.errorAt(r[0].Start.Line, le.Unwrap())
	}
	var ue *instructions.UnknownInstructionError
	if errors.As(err, &ue) {
		return df.errorAt(ue.Line, err)
	}
	return &ParseError{File: df.Name, Err: err}
}

// errorAt is a ParseError at 1-based line n.
func (df *Dockerfile) errorAt(n int, err error) error {
	pe := &ParseError{File: df.Name, Line: n, Err: unlocated(err)}
	if n >= 1 && n <= len(df.lines) {
		pe.Instruction = strings.TrimSpace(df.lines[n-1])
	}
	return pe
}

// unlocated strips BuildKit's location and stack wrappers from err's text
// (the ParseError prints the location itself).
func unlocated(err error) error {
	for {
		var le *parser.LocationError
		if !errors.As(err, &le) {
			return err
		}
		err = le.Unwrap()
	}
}

// commandError is a ParseError for cmd (a step that failed to expand or
// to run its checks).
func (df *Dockerfile) commandError(cmd instructions.Command, err error) error {
	var pe *ParseError
	if errors.As(err, &pe) {
		return err
	}
	if loc := cmd.Location(); len(loc) > 0 {
		return df.errorAt(loc[0].Start.Line, err)
	}
	return &ParseError{File: df.Name, Instruction: cmdText(cmd), Err: err}
}

// cmdText is an instruction's source text.
func cmdText(cmd instructions.Command) string {
	if s, ok := cmd.(fmt.Stringer); ok {
		return s.String()
	}
	return strings.ToUpper(cmd.Name())
}

// parseTrigger parses an ONBUILD trigger (one instruction) from a base
// image's config.
func parseTrigger(expr string) (instructions.Command, error) {
	res, err := parser.Parse(strings.NewReader(expr))
	if err != nil {
		return nil, fmt.Errorf("ONBUILD trigger %q: %w", expr, err)
	}
	if len(res.AST.Children) != 1 {
		return nil, fmt.Errorf("ONBUILD trigger %q: %w: not one instruction", expr, errdefs.ErrInvalid)
	}
	cmd, err := instructions.ParseCommand(res.AST.Children[0])
	if err != nil {
		return nil, fmt.Errorf("ONBUILD trigger %q: %w", expr, unlocated(err))
	}
	return cmd, nil
}

// StepError is a step that failed for a reason other than the
// Dockerfile's text (a missing COPY source, a base image not found): it
// names the file and line, and keeps its cause's class.
type StepError struct {
	File        string
	Line        int
	Instruction string
	Err         error
}

func (e *StepError) Error() string {
	return fmt.Sprintf("%s:%d: %s: %v", e.File, e.Line, e.Instruction, e.Err)
}

// Unwrap returns the cause.
func (e *StepError) Unwrap() error { return e.Err }

func (df *Dockerfile) stepError(cmd instructions.Command, err error) error {
	se := &StepError{File: df.Name, Instruction: cmdText(cmd), Err: err}
	if loc := cmd.Location(); len(loc) > 0 {
		se.Line = loc[0].Start.Line
		if se.Line >= 1 && se.Line <= len(df.lines) {
			se.Instruction = strings.TrimSpace(df.lines[se.Line-1])
		}
	}
	return se
}
