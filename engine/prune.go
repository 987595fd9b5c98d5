package engine

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/onggi/onggi/image"
)

// PruneImages is `image prune`: dangling images (all unused ones with all),
// restricted by docker's until= and label= / label!= filters, then GC.
// Images the build cache holds are left to `builder prune`.
func (e *Engine) PruneImages(ctx context.Context, all bool, filters map[string][]string) (image.PruneReport, error) {
	match, err := pruneFilter(filters, time.Now())
	if err != nil {
		return image.PruneReport{}, err
	}
	// Stage images the build cache holds are the cache's to prune
	// (`builder prune`), as docker's image prune leaves its build cache.
	keep := func(img *image.Image) bool { return !e.buildCacheHolds(img.ID) && match(img) }
	return e.images.Prune(ctx, image.PruneOptions{All: all, Filter: keep})
}

func pruneFilter(f map[string][]string, now time.Time) (func(*image.Image) bool, error) {
	var until []time.Time
	for k, vals := range f {
		switch k {
		case "until":
			for _, v := range vals {
				t, err := parseUntil(v, now)
				if err != nil {
					return nil, err
				}
				until = append(until, t)
			}
		case "label", "label!":
		default:
			return nil, fmt.Errorf("invalid filter '%s': %w", k, image.ErrInvalid)
		}
	}
	return func(img *image.Image) bool {
		for _, t := range until {
			if !img.Created.Before(t) {
				return false
			}
		}
		labels := img.Config.Config.Labels
		if !matchLabels(labels, f["label"]) {
			return false
		}
		for _, l := range f["label!"] {
			if matchLabels(labels, []string{l}) {
				return false
			}
		}
		return true
	}, nil
}

// parseUntil reads a duration ("24h"), a Unix time or an RFC 3339 time.
func parseUntil(v string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(v); err == nil {
		return now.Add(-d), nil
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		return time.Unix(int64(secs), 0), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, strings.TrimSpace(v)); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid filter 'until=%s': %w", v, image.ErrInvalid)
}
