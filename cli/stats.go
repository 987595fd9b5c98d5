package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/onggi/onggi/engine"
	"github.com/onggi/onggi/errdefs"
	"github.com/spf13/cobra"
)

var _ = addContainerCommand(newStatsCmd)

type statsOptions struct {
	all, noStream, noTrunc bool
	format                 string
}

func newStatsCmd(g *Globals) *cobra.Command {
	o := &statsOptions{}
	cmd := &cobra.Command{
		Use:   "stats [OPTIONS] [CONTAINER...]",
		Short: "Display a live stream of container(s) resource usage statistics",
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := imageEngine(g)
			if err != nil {
				return err
			}
			defer e.Close()
			s := &statsSession{e: e, o: o, refs: args, prev: map[string]*ctypes.CPUStats{}}
			if o.noStream {
				return s.once(cmd.Context(), cmd.OutOrStdout())
			}
			return s.live(cmd.Context(), cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.all, "all", "a", false, "Show all containers (default shows just running)")
	f.BoolVar(&o.noStream, "no-stream", false, "Disable streaming stats and only pull the first result")
	f.BoolVar(&o.noTrunc, "no-trunc", false, "Do not truncate output")
	f.StringVar(&o.format, "format", "", "Format output using a custom template ('table', 'table TEMPLATE', 'json', 'TEMPLATE')")
	return cmd
}

// statsInterval is docker's refresh period; statsSampleGap is how far apart
// --no-stream's two readings are (CPU % needs a delta).
const (
	statsInterval  = time.Second
	statsSampleGap = 500 * time.Millisecond
)

// statsSession keeps the previous CPU counters of each container so each
// frame's CPU % covers the time since the last one.
type statsSession struct {
	e    *engine.Engine
	o    *statsOptions
	refs []string
	prev map[string]*ctypes.CPUStats
	// started is set after the first listing: from then on a named
	// container that disappeared shows "--" instead of failing.
	started bool
}

type statsTarget struct{ ref, id, name string }

// targets are the containers named, or every running one (every one with
// -a), listed again for each frame so new ones appear and gone ones leave.
func (s *statsSession) targets(ctx context.Context) ([]statsTarget, error) {
	var out []statsTarget
	if len(s.refs) > 0 {
		for _, ref := range s.refs {
			c, err := s.e.GetContainer(ctx, ref)
			if isNotFound(err) && s.started {
				out = append(out, statsTarget{ref: ref})
				continue
			}
			if err != nil {
				return nil, err
			}
			out = append(out, statsTarget{ref: ref, id: c.ID, name: c.Name})
		}
		s.started = true
		return out, nil
	}
	list, err := s.e.ContainerSummaries(ctx, s.o.all, nil)
	if err != nil {
		return nil, err
	}
	for _, c := range list {
		t := statsTarget{ref: shortID(c.ID), id: c.ID}
		if len(c.Names) > 0 {
			t.name = c.Names[0]
		}
		out = append(out, t)
	}
	return out, nil
}

// sample reads every target once. A container that is gone shows "--", one
// that does not run shows zeros, as docker's.
func (s *statsSession) sample(ctx context.Context, ts []statsTarget) ([]statsEntry, error) {
	entries := make([]statsEntry, 0, len(ts))
	for _, t := range ts {
		en := statsEntry{container: t.ref, id: t.id, name: t.name}
		var st *ctypes.StatsResponse
		err := errdefs.ErrNotFound
		if t.id != "" {
			st, err = s.e.ContainerStats(ctx, t.id)
		}
		switch {
		case err == nil:
			en = calculateStats(st, s.prev[t.id])
			en.container, en.id, en.name = t.ref, t.id, t.name
			cpu := st.CPUStats
			s.prev[t.id] = &cpu
		case isNotFound(err):
			en.invalid = true
		case errors.Is(err, errdefs.ErrNotRunning) || errors.Is(err, errdefs.ErrConflict):
			delete(s.prev, t.id)
		default:
			return nil, err
		}
		entries = append(entries, en)
	}
	return entries, nil
}

func (s *statsSession) print(w io.Writer, entries []statsEntry) error {
	format := s.o.format
	if format == "" || format == "table" {
		format = statsDefaultFormat
	}
	fm, err := newRowFormatter(w, format, statsHeader)
	if err != nil {
		return err
	}
	for _, en := range entries {
		if err := fm.Row(en.row(!s.o.noTrunc)); err != nil {
			return err
		}
	}
	return fm.Flush()
}

// once is --no-stream: two readings a moment apart, one table.
func (s *statsSession) once(ctx context.Context, w io.Writer) error {
	ts, err := s.targets(ctx)
	if err != nil {
		return err
	}
	if _, err := s.sample(ctx, ts); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(statsSampleGap):
	}
	entries, err := s.sample(ctx, ts)
	if err != nil {
		return err
	}
	return s.print(w, entries)
}

// live redraws the table every second (clearing the screen as docker
// does) until ctx ends or the process is interrupted.
func (s *statsSession) live(ctx context.Context, w io.Writer) error {
	tick := time.NewTicker(statsInterval)
	defer tick.Stop()
	for {
		ts, err := s.targets(ctx)
		if err != nil {
			return err
		}
		entries, err := s.sample(ctx, ts)
		if err != nil {
			return err
		}
		fmt.Fprint(w, "\033[2J\033[H")
		if err := s.print(w, entries); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
