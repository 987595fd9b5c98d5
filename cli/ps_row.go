package cli

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	units "github.com/docker/go-units"
	ctypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
)

// psRow is one `ps` line with docker's --format field names; its exported
// fields are also the object --format json prints, as docker's.
type psRow struct {
	Command      string
	CreatedAt    string
	ID           string
	Image        string
	Labels       string
	LocalVolumes string
	Mounts       string
	Names        string
	Networks     string
	Ports        string
	RunningFor   string
	Size         string
	State        string
	Status       string

	labels map[string]string
	header bool
}

// Label is docker's {{.Label "key"}}.
func (r psRow) Label(name string) string {
	if r.header {
		return "LABEL"
	}
	return r.labels[name]
}

// psHeader holds the column titles docker prints for each field.
var psHeader = psRow{
	Command: "COMMAND", CreatedAt: "CREATED AT", ID: "CONTAINER ID", Image: "IMAGE", Labels: "LABELS",
	LocalVolumes: "LOCAL VOLUMES", Mounts: "MOUNTS", Names: "NAMES", Networks: "NETWORKS", Ports: "PORTS",
	RunningFor: "CREATED", Size: "SIZE", State: "STATE", Status: "STATUS", header: true,
}

// newPsRow renders a summary as docker's ContainerContext does.
func newPsRow(c *ctypes.Summary, trunc bool) psRow {
	created := time.Unix(c.Created, 0)
	r := psRow{
		CreatedAt:  created.String(),
		ID:         c.ID,
		Image:      psImage(c, trunc),
		Labels:     joinLabels(c.Labels),
		Mounts:     psMounts(c.Mounts, trunc),
		Names:      psNames(c.Names, trunc),
		Networks:   psNetworks(c),
		Ports:      displayPorts(c.Ports),
		RunningFor: imageHumanDuration(time.Now().UTC().Sub(created)) + " ago",
		Size:       psSize(c),
		State:      string(c.State),
		Status:     c.Status,
		labels:     c.Labels,
	}
	command := c.Command
	if trunc {
		r.ID = shortID(c.ID)
		command = ellipsis(command, 20)
	}
	r.Command = strconv.Quote(command)
	n := 0
	for _, m := range c.Mounts {
		if m.Type == mount.TypeVolume {
			n++
		}
	}
	r.LocalVolumes = strconv.Itoa(n)
	return r
}

// psImage is the image as the user named it, without a pinned digest
// unless --no-trunc, or a short ID when the container was made from an ID.
func psImage(c *ctypes.Summary, trunc bool) string {
	if c.Image == "" {
		return "<no image>"
	}
	if !trunc {
		return c.Image
	}
	if s := shortID(c.ImageID); s != "" && s == shortID(c.Image) {
		return s
	}
	if name, _, ok := strings.Cut(c.Image, "@"); ok {
		return name
	}
	return c.Image
}

// psNames strips docker's leading "/"; truncated output shows only the
// container's own name, not legacy link aliases ("/a/b").
func psNames(names []string, trunc bool) string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, strings.TrimPrefix(n, "/"))
	}
	if trunc {
		for _, n := range out {
			if !strings.Contains(n, "/") {
				return n
			}
		}
	}
	return strings.Join(out, ",")
}

func psMounts(ms []ctypes.MountPoint, trunc bool) string {
	var out []string
	for _, m := range ms {
		name := m.Name
		if name == "" {
			name = m.Source
		} else if trunc {
			name = ellipsis(name, 15)
		}
		out = append(out, name)
	}
	return strings.Join(out, ",")
}

func psNetworks(c *ctypes.Summary) string {
	if c.NetworkSettings == nil {
		return ""
	}
	var out []string
	for k := range c.NetworkSettings.Networks {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// psSize is docker's "2B (virtual 4.26MB)".
func psSize(c *ctypes.Summary) string {
	s := units.HumanSizeWithPrecision(float64(c.SizeRw), 3)
	if c.SizeRootFs > 0 {
		s += fmt.Sprintf(" (virtual %s)", units.HumanSizeWithPrecision(float64(c.SizeRootFs), 3))
	}
	return s
}

// joinLabels is "k=v,k2=v2", sorted so output is stable.
func joinLabels(labels map[string]string) string {
	out := make([]string, 0, len(labels))
	for k, v := range labels {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// displayPorts is docker's DisplayablePorts: consecutive ports with the
// same address and protocol collapse into ranges ("0.0.0.0:80-81->80-81/tcp"),
// mappings to a different host port are listed after them.
func displayPorts(ports []ctypes.PortSummary) string {
	ps := append([]ctypes.PortSummary(nil), ports...)
	sort.Slice(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.PrivatePort != b.PrivatePort {
			return a.PrivatePort < b.PrivatePort
		}
		if a.IP != b.IP {
			return a.IP.Less(b.IP)
		}
		if a.PublicPort != b.PublicPort {
			return a.PublicPort < b.PublicPort
		}
		return a.Type < b.Type
	})
	type group struct{ first, last uint16 }
	groups := map[string]*group{}
	var keys, result, mappings []string
	for _, p := range ps {
		key := p.Type
		if p.IP.IsValid() {
			if p.PublicPort != p.PrivatePort {
				hp := net.JoinHostPort(p.IP.String(), strconv.Itoa(int(p.PublicPort)))
				mappings = append(mappings, fmt.Sprintf("%s->%d/%s", hp, p.PrivatePort, p.Type))
				continue
			}
			key = p.IP.String() + "/" + p.Type
		}
		g := groups[key]
		switch {
		case g == nil:
			keys = append(keys, key)
		case p.PrivatePort == g.last+1:
			g.last = p.PrivatePort
			continue
		default:
			result = append(result, portGroup(key, g.first, g.last))
		}
		groups[key] = &group{p.PrivatePort, p.PrivatePort}
	}
	for _, k := range keys {
		result = append(result, portGroup(k, groups[k].first, groups[k].last))
	}
	return strings.Join(append(result, mappings...), ", ")
}

func portGroup(key string, first, last uint16) string {
	ip, proto, ok := strings.Cut(key, "/")
	if !ok {
		ip, proto = "", key
	}
	g := strconv.Itoa(int(first))
	if first != last {
		g += "-" + strconv.Itoa(int(last))
	}
	if ip != "" {
		// "[::]:80->80/tcp" for IPv6, as docker's formGroup
		g = net.JoinHostPort(ip, g) + "->" + g
	}
	return g + "/" + proto
}
