package snapshot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/onggi/onggi/image/errdefs"
	"github.com/onggi/onggi/image/layer"
	digest "github.com/opencontainers/go-digest"
)

// Unpack unpacks the layers of diffIDs (bottom first) that are not yet on
// disk, several at once (each layer goes to its own directory, so they do
// not depend on each other), verifying each against its diff ID. open is
// called only for missing layers.
func (s *Snapshotter) Unpack(ctx context.Context, diffIDs []digest.Digest, open OpenLayerFunc) error {
	chains := ChainIDs(diffIDs)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	errs := make([]error, len(chains))
	for i := range chains {
		if s.HasLayer(chains[i]) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = s.unpackOne(ctx, i, chains, diffIDs[i], open)
			if errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	// Report the error that stopped the others, not their cancellations.
	var first error
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		if first == nil {
			first = err
		}
	}
	return first
}

// unpackOne unpacks layer i under its chain lock: into a temp dir, then
// verified and renamed into place, so a layer dir that exists is complete.
func (s *Snapshotter) unpackOne(ctx context.Context, i int, chains []digest.Digest, diffID digest.Digest, open OpenLayerFunc) (retErr error) {
	chain := chains[i]
	l, err := s.lock(ctx, "layer-"+chain.Encoded())
	if err != nil {
		return err
	}
	defer l.Unlock()
	if s.HasLayer(chain) {
		return nil // another process did it meanwhile
	}
	tmp, err := os.MkdirTemp(filepath.Join(s.root, "tmp"), "layer-"+chain.Encoded()[:12]+"-")
	if err != nil {
		return fmt.Errorf("unpacking layer %s: %w", diffID, err)
	}
	defer func() {
		if retErr != nil {
			os.RemoveAll(tmp)
		}
	}()
	rc, err := open(i)
	if err != nil {
		return fmt.Errorf("opening layer %s: %w", diffID, err)
	}
	defer rc.Close()
	opts := s.applyOpts
	opts.Whiteouts = s.whiteouts()
	res, err := layer.Apply(ctx, filepath.Join(tmp, "diff"), rc, opts)
	if err != nil {
		return fmt.Errorf("unpacking layer %s: %w", diffID, err)
	}
	if res.DiffID != diffID {
		return fmt.Errorf("unpacking layer %s: %w: content has diff ID %s", diffID, errdefs.ErrInvalid, res.DiffID)
	}
	info := LayerInfo{ChainID: chain, DiffID: diffID, Size: res.Size}
	if i > 0 {
		info.Parent = chains[i-1]
	}
	if err := writeJSON(filepath.Join(tmp, "info.json"), info); err != nil {
		return err
	}
	if err := os.Rename(tmp, s.layerDir(chain)); err != nil {
		return fmt.Errorf("committing layer %s: %w", diffID, err)
	}
	return nil
}
