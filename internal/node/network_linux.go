package node

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/xbcheck/xbcheck/internal/node/config"
)

// setupNetwork makes the node's bridge with the node's address (the pods'
// gateway, created before the CNI plugin runs so the node has its address
// from the start), routes the Service addresses there, and turns on what
// Services need in this network namespace: forwarding between pods, and
// bridged traffic through iptables.
func setupNetwork(n config.Node) error {
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: n.Bridge}}
	if err := netlink.LinkAdd(br); err != nil {
		return fmt.Errorf("create the node's bridge %s: %w; the kernel needs bridge support (modprobe bridge)", n.Bridge, err)
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: n.IP.AsSlice(), Mask: net.CIDRMask(n.PodCIDR.Bits(), 32)}}
	if err := netlink.AddrAdd(br, addr); err != nil {
		return fmt.Errorf("address the node's bridge: %w", err)
	}
	if err := netlink.LinkSetUp(br); err != nil {
		return fmt.Errorf("bring the node's bridge up: %w", err)
	}
	// ClusterIPs need a route for kube-proxy's DNAT to see the packets of
	// the node's own clients; a real node's default route gives them one,
	// and the sandbox has none.
	services := &net.IPNet{IP: n.ServiceCIDR.Addr().AsSlice(), Mask: net.CIDRMask(n.ServiceCIDR.Bits(), 32)}
	if err := netlink.RouteAdd(&netlink.Route{Dst: services, LinkIndex: br.Attrs().Index, Scope: netlink.SCOPE_LINK}); err != nil {
		return fmt.Errorf("route the Service addresses to the node's bridge: %w", err)
	}
	for _, s := range []string{"net/ipv4/ip_forward", "net/bridge/bridge-nf-call-iptables"} {
		if err := os.WriteFile(filepath.Join("/proc/sys", s), []byte("1"), 0o644); err != nil {
			return fmt.Errorf("set %s in the node's network namespace: %w", s, err)
		}
	}
	return nil
}

// kubeletSysctls are the host-wide sysctls the kubelet wants, with the
// values it wants (its setupKernelTunables).
func kubeletSysctls() map[string]int {
	return map[string]int{
		"vm/overcommit_memory":      1,
		"vm/panic_on_oom":           0,
		"kernel/panic":              10,
		"kernel/panic_on_oops":      1,
		"kernel/keys/root_maxkeys":  1000000,
		"kernel/keys/root_maxbytes": 25000000,
	}
}

// shieldHostSysctls keeps the kubelet off the host's kernel settings.
// These sysctls are not the network namespace's own: writing them would
// change the whole machine. Each one whose value differs from the
// kubelet's wish gets a file with that value bind-mounted over it, in this
// mount namespace only, so the kubelet (with protectKernelDefaults, which
// makes it refuse rather than write) finds what it wants and writes
// nothing.
func shieldHostSysctls(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, want := range kubeletSysctls() {
		target := filepath.Join("/proc/sys", name)
		b, err := os.ReadFile(target)
		if err != nil {
			return fmt.Errorf("read %s: %w", target, err)
		}
		if got, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && got == want {
			continue
		}
		src := filepath.Join(dir, strings.ReplaceAll(name, "/", "."))
		if err := os.WriteFile(src, []byte(strconv.Itoa(want)+"\n"), 0o444); err != nil {
			return err
		}
		if err := unix.Mount(src, target, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("shield %s from the kubelet: %w", target, err)
		}
		if err := unix.Mount("", target, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
			return errors.Join(fmt.Errorf("make the shield of %s read-only: %w", target, err), unix.Unmount(target, unix.MNT_DETACH))
		}
	}
	return nil
}
