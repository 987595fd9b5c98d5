package zprobe

import (
	_ "github.com/google/nftables"
	_ "github.com/google/nftables/expr"
	_ "github.com/miekg/dns"
	_ "github.com/moby/buildkit/frontend/dockerfile/instructions"
	_ "github.com/moby/buildkit/frontend/dockerfile/parser"
	_ "github.com/moby/buildkit/frontend/dockerfile/shell"
	_ "github.com/moby/patternmatcher"
	_ "github.com/vishvananda/netlink"
	_ "github.com/vishvananda/netns"
)
