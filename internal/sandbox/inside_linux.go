package sandbox

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync/atomic"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// setupDone is set once setup has finished in this process.
var setupDone atomic.Bool

// Inside returns nil only when this process is inside the sandbox xbcheck
// made, and otherwise an error saying why not, fit to print as the reason a
// scenario was skipped. All of these must hold:
//   - the parent's marker is in the environment;
//   - setup ran in this process, or this process was started inside the
//     sandbox and is still in the network namespace setup recorded;
//   - the network namespace is not the one the parent started in;
//   - no link but lo is up, and no route leads out (no default route, no
//     route through another link).
//
// It reads links and routes afresh on every call (a few hundred
// microseconds): ask once per listener or connection, not per request.
func Inside() error {
	m, ok, err := readMarker()
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("this process was not started inside the sandbox (%s is unset)", markerEnv)
	}
	netns, err := currentNS("net")
	if err != nil {
		return err
	}
	if netns == m.outsideNet {
		return errors.New("this process is in the network namespace xbcheck started in")
	}
	if !setupDone.Load() {
		recorded := os.Getenv(sandboxNetnsEnv)
		if recorded == "" {
			return errors.New("the sandbox was not set up in this process")
		}
		if recorded != netns.String() {
			return fmt.Errorf("this process's network namespace %s is not the sandbox's (%s)", netns, recorded)
		}
	}
	_, node, err := readNodeFacts()
	if err != nil {
		return err
	}
	return isolated(node)
}

// isolated checks that nothing in this network namespace leads out of it.
// Links other than lo may exist while down: the kernel creates fallback
// tunnel devices (sit0, tunl0, ...) in every namespace when their modules
// are loaded. In a node sandbox (node true), bridges and veth pairs may be
// up too: the node's pod network, created inside, whose other ends are in
// its pods.
func isolated(node bool) error {
	links, err := netlink.LinkList()
	if err != nil {
		return fmt.Errorf("listing network links: %w", err)
	}
	inside := map[int]bool{}
	for _, l := range links {
		a := l.Attrs()
		switch {
		case a.Name == "lo":
			inside[a.Index] = true
		case node && (l.Type() == "bridge" || l.Type() == "veth"):
			inside[a.Index] = true
		case a.Flags&net.FlagUp != 0:
			if node {
				return fmt.Errorf("link %s (%s) is up in this network namespace; only lo, bridges and veth pairs may be", a.Name, l.Type())
			}
			return fmt.Errorf("link %s is up in this network namespace; only lo may be", a.Name)
		}
	}
	routes, err := netlink.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	if err != nil {
		return fmt.Errorf("listing routes: %w", err)
	}
	for _, r := range routes {
		if isDefault(r) && r.Type == unix.RTN_UNICAST {
			return fmt.Errorf("this network namespace has a default route (%s)", r)
		}
		if r.LinkIndex != 0 && !inside[r.LinkIndex] {
			return fmt.Errorf("this network namespace has a route through a link other than lo (%s)", r)
		}
		for _, hop := range r.MultiPath {
			if !inside[hop.LinkIndex] {
				return fmt.Errorf("this network namespace has a route through a link other than lo (%s)", r)
			}
		}
	}
	return nil
}

func isDefault(r netlink.Route) bool {
	if r.Dst == nil {
		return true
	}
	ones, _ := r.Dst.Mask.Size()
	return ones == 0
}
