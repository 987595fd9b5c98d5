package engine

import (
	"context"
	"regexp"
	"sort"
	"strings"
	"time"

	mnet "github.com/moby/moby/api/types/network"
	"github.com/onggi/onggi/errdefs"
	"github.com/onggi/onggi/network"
)

// Filter keys docker accepts for `network ls` and `network prune`.
var (
	listFilterKeys  = map[string]bool{"name": true, "id": true, "label": true, "driver": true, "type": true, "dangling": true, "scope": true}
	pruneFilterKeys = map[string]bool{"label": true, "label!": true, "until": true}
)

// netFilter is a parsed filter set; values of one key are OR'ed, keys AND'ed.
type netFilter struct {
	f     map[string][]string
	until time.Time
}

func newNetFilter(f map[string][]string, keys map[string]bool) (*netFilter, error) {
	m := &netFilter{f: f}
	for k, vs := range f {
		if !keys[k] {
			return nil, classed(errdefs.ErrInvalid, "invalid filter '%s'", k)
		}
		for _, v := range vs {
			switch k {
			case "type":
				if v != "custom" && v != "builtin" {
					return nil, classed(errdefs.ErrInvalid, "invalid filter: 'type'='%s'", v)
				}
			case "dangling":
				if v != "true" && v != "false" && v != "1" && v != "0" {
					return nil, classed(errdefs.ErrInvalid, "invalid filter 'dangling=%s'", v)
				}
			case "until":
				t, err := parseUntil(v, time.Now())
				if err != nil {
					return nil, err
				}
				m.until = t
			}
		}
	}
	return m, nil
}

func (m *netFilter) match(n *network.Network, eps []*endpointState) bool {
	for k, vs := range m.f {
		if len(vs) == 0 {
			continue
		}
		ok := false
		for _, v := range vs {
			ok = ok || m.matchOne(k, v, n, eps)
		}
		if k == "label!" {
			ok = true
			for _, v := range vs {
				ok = ok && !labelMatch(n.Labels, v)
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (m *netFilter) matchOne(k, v string, n *network.Network, eps []*endpointState) bool {
	switch k {
	case "name":
		return regexMatch(v, n.Name)
	case "id":
		return regexMatch(v, n.ID)
	case "label":
		return labelMatch(n.Labels, v)
	case "driver":
		return n.Driver == v
	case "scope":
		return v == "local"
	case "type":
		return (v == "builtin") == n.Predefined
	case "dangling":
		want := v == "true" || v == "1"
		return want == (!n.Predefined && !usedBy(n.ID, eps))
	case "until":
		return n.Created.Before(m.until)
	}
	return false
}

// regexMatch is docker's filters.Match: the value is a regular
// expression searched in the field (a plain name is a substring match).
func regexMatch(pattern, s string) bool {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return strings.Contains(s, pattern)
	}
	return re.MatchString(s)
}

// labelMatch matches "key" (present) or "key=value".
func labelMatch(labels map[string]string, v string) bool {
	k, val, hasVal := strings.Cut(v, "=")
	got, ok := labels[k]
	return ok && (!hasVal || got == val)
}

func (e *Engine) listNetworks(ctx context.Context, filters map[string][]string) ([]mnet.Summary, error) {
	store, _, err := e.networks()
	if err != nil {
		return nil, err
	}
	m, err := newNetFilter(filters, listFilterKeys)
	if err != nil {
		return nil, err
	}
	all, err := store.List()
	if err != nil {
		return nil, err
	}
	var eps []*endpointState
	if len(filters["dangling"]) > 0 {
		eps, _ = e.allEndpoints()
	}
	out := []mnet.Summary{}
	for _, n := range all {
		if m.match(n, eps) {
			out = append(out, mnet.Summary{Network: mobyNetwork(n)})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
