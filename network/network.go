package network

import (
	"net/netip"
	"time"
)

// Drivers, named as docker names them in `network ls`.
const (
	DriverBridge = "bridge"
	DriverHost   = "host"
	// DriverNull is the driver of the "none" network, as in docker.
	DriverNull = "null"
)

// Names of the predefined networks.
const (
	NameBridge = "bridge"
	NameHost   = "host"
	NameNone   = "none"
)

// Docker's driver options onggi understands (`network create -o`).
const (
	OptBridgeName    = "com.docker.network.bridge.name"
	OptDefaultBridge = "com.docker.network.bridge.default_bridge"
	OptMTU           = "com.docker.network.driver.mtu"
)

// Network is the record of one network, as stored in <dir>/<id>.json.
type Network struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Driver  string    `json:"driver"`
	Created time.Time `json:"created"`
	// Bridge is the kernel interface of a bridge network ("" for host and
	// null networks).
	Bridge     string            `json:"bridge,omitempty"`
	Subnets    []Subnet          `json:"subnets,omitempty"`
	Internal   bool              `json:"internal,omitempty"`
	EnableIPv6 bool              `json:"enableIPv6,omitempty"`
	MTU        int               `json:"mtu,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
	Options    map[string]string `json:"options,omitempty"`
	// Predefined marks bridge, host and none: they cannot be removed.
	Predefined bool `json:"predefined,omitempty"`
}

// Subnet is one IPAM pool of a network. IPRange, when valid, restricts
// dynamic allocation to a part of Prefix (docker's --ip-range).
type Subnet struct {
	Prefix  netip.Prefix `json:"prefix"`
	Gateway netip.Addr   `json:"gateway,omitzero"`
	IPRange netip.Prefix `json:"ipRange,omitzero"`
}

// ShortID is the 12-character id `network ls` shows.
func (n *Network) ShortID() string { return shortID(n.ID) }

// IsPredefinedName reports whether name is one of the networks docker
// reserves: they cannot be created or removed by users. "default" is
// docker's alias of the default network mode and is reserved as well.
func IsPredefinedName(name string) bool {
	switch name {
	case NameBridge, NameHost, NameNone, "default":
		return true
	}
	return false
}

// DefaultBridgeName is the interface of the "bridge" network of the
// instance with the given tag (see InstanceTag).
func DefaultBridgeName(tag string) string {
	if tag == "" {
		return "onggi0"
	}
	return "og" + tag + "0"
}

// UserBridgeName is the interface of a user-defined bridge network when
// no com.docker.network.bridge.name option names one, as docker's
// "br-<id[:12]>".
func UserBridgeName(id string) string { return "br-" + shortID(id) }

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
