package engine

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/onggi/onggi/network"
	"github.com/onggi/onggi/network/link"
	"github.com/onggi/onggi/network/nft"
)

// reserveEndpoint writes a start's endpoint file before anything is made,
// under the state lock (see gcNetworks).
func (e *Engine) reserveEndpoint(st *endpointState) error {
	unlock, err := e.lockNetState()
	if err != nil {
		return err
	}
	defer unlock()
	return e.writeEndpoint(st)
}

// gcNetworks removes this instance's kernel objects that serve no running
// container: with no endpoint left, the nft table and the default
// bridge's interface (docker keeps docker0; onggi leaves nothing behind
// once nothing runs), and netns files whose start or teardown was cut
// short. User networks keep their bridge while they exist. It runs when
// the monitor idles out and after rm / network rm, not after each run, so
// `run --rm` in a loop finds the bridge and the table in place.
func (e *Engine) gcNetworks() {
	if _, err := os.Stat(filepath.Join(e.root, "networks")); err != nil {
		return // networking never used
	}
	store, _, err := e.openNetworks()
	if err != nil {
		return
	}
	defer Span("net.gc")()
	unlock, err := e.lockNetState()
	if err != nil {
		return
	}
	defer unlock()
	if eps, err := e.allEndpoints(); err != nil || len(eps) > 0 {
		return
	}
	var errs []error
	left, _ := filepath.Glob(filepath.Join(e.runroot, "netns", "*"))
	for _, p := range left {
		errs = append(errs, link.DeleteNetNS(p))
	}
	if err := os.Remove(filepath.Join(e.netRunDir(), "nft.applied")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, err)
	}
	errs = append(errs, nft.Delete(e.nftTable()))
	if br, err := store.Get(network.NameBridge); err == nil && br.Bridge != "" {
		errs = append(errs, link.DeleteBridge(br.Bridge))
	}
	if err := errors.Join(errs...); err != nil {
		e.logf("network cleanup: %v", err)
	}
}

// gcDelay is how long the monitor waits, after a run's teardown left no
// endpoint, before deleting the instance's table and default bridge: long
// enough that `run --rm` in a loop keeps them, short enough that a killed
// monitor (a test's cleanup) rarely leaves them behind.
const gcDelay = time.Second

// scheduleGC arms (or re-arms) the monitor's delayed gcNetworks.
func (e *Engine) scheduleGC() {
	e.gcMu.Lock()
	defer e.gcMu.Unlock()
	if e.gcTimer != nil {
		e.gcTimer.Stop()
	}
	e.gcTimer = time.AfterFunc(gcDelay, e.gcNetworks)
}
