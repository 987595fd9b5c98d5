package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// endpointState is a running container's networking as set up at start
// (<runroot>/network/endpoints/<id>.json). It is what teardown undoes and
// what the nft ruleset and the DNS records are recomputed from: the
// records of running containers are not read for that, so a start never
// decodes every container.json.
type endpointState struct {
	ID       string        `json:"id"`
	Name     string        `json:"name"`
	NetNS    string        `json:"netns"`
	Networks []endpointNet `json:"networks"`
	Ports    []portBinding `json:"ports,omitempty"`
	// Starter (pid and start time) is the process that set the endpoint
	// up, so a second start of the container can tell a start in progress
	// from a previous run's leftovers (awaitTeardown).
	StarterPid   int    `json:"starterPid,omitempty"`
	StarterStart uint64 `json:"starterStart,omitempty"`
}

// endpointNet is one interface of a container.
type endpointNet struct {
	Name      string       `json:"name"`
	ID        string       `json:"id"`
	Bridge    string       `json:"bridge"`
	HostVeth  string       `json:"hostVeth"`
	IfName    string       `json:"ifName"`
	MAC       string       `json:"mac"`
	IPv4      netip.Prefix `json:"ipv4,omitzero"`
	IPv6      netip.Prefix `json:"ipv6,omitzero"`
	Gateway   netip.Addr   `json:"gateway,omitzero"`
	Gateway6  netip.Addr   `json:"gateway6,omitzero"`
	Default   bool         `json:"default,omitempty"` // carries the default route
	Internal  bool         `json:"internal,omitempty"`
	DNS       bool         `json:"dns,omitempty"` // a user network: names are served
	DNSNames  []string     `json:"dnsNames,omitempty"`
	Aliases   []string     `json:"aliases,omitempty"`
	Allocated bool         `json:"allocated,omitempty"`
}

// portBinding is one resolved published port.
type portBinding struct {
	Proto         string     `json:"proto"`
	HostIP        netip.Addr `json:"hostIP,omitzero"`
	HostPort      uint16     `json:"hostPort"`
	ContainerPort uint16     `json:"containerPort"`
}

// network returns the endpoint on the named network, or nil.
func (s *endpointState) network(name string) *endpointNet {
	for i := range s.Networks {
		if s.Networks[i].Name == name {
			return &s.Networks[i]
		}
	}
	return nil
}

func (e *Engine) readEndpoint(id string) (*endpointState, error) {
	b, err := os.ReadFile(e.endpointPath(id))
	if err != nil {
		return nil, err
	}
	var s endpointState
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("endpoint state of %s: %w", shortID(id), err)
	}
	return &s, nil
}

// writeEndpoint replaces a container's endpoint file (temp + rename).
func (e *Engine) writeEndpoint(s *endpointState) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	path := e.endpointPath(s.ID)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("endpoint state of %s: %w", shortID(s.ID), err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("endpoint state of %s: %w", shortID(s.ID), err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("endpoint state of %s: %w", shortID(s.ID), err)
	}
	return nil
}

// allEndpoints reads every endpoint file (callers hold the state lock).
func (e *Engine) allEndpoints() ([]*endpointState, error) {
	dir := filepath.Join(e.netRunDir(), "endpoints")
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*endpointState
	for _, de := range ents {
		id, ok := strings.CutSuffix(de.Name(), ".json")
		if !ok {
			continue
		}
		s, err := e.readEndpoint(id)
		if err != nil {
			continue // removed meanwhile, or a torn leftover: not ours to judge
		}
		out = append(out, s)
	}
	return out, nil
}

// lockNetState takes the runroot's networking lock: endpoint files, port
// choices, the nft ruleset and the DNS records change only under it, so
// two parallel starts never pick one host port and the ruleset applied
// last always reflects every endpoint.
func (e *Engine) lockNetState() (unlock func(), err error) {
	defer Span("net.lock")()
	dir := e.netRunDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, "nft.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("network state lock: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, &os.PathError{Op: "flock", Path: f.Name(), Err: err}
	}
	return func() { f.Close() }, nil
}
