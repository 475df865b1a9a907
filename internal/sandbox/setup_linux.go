package sandbox

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Files the sandbox replaces by bind mounts. Only the sandbox's mount
// namespace sees them; the files outside are never written.
const (
	resolvConf   = "/etc/resolv.conf"
	hostsFile    = "/etc/hosts"
	nsswitchConf = "/etc/nsswitch.conf"
)

// setup turns the fresh namespaces of the re-executed child into the
// sandbox. It refuses to touch anything unless the namespaces are new and
// lead nowhere, so a forged marker cannot make it reconfigure a real host.
func setup(m marker) error {
	netns, fresh, err := freshNamespaces(m)
	if err != nil {
		return err
	}
	if !fresh {
		return errors.New("the child is still in its parent's network or mount namespace")
	}
	if err := isolated(false); err != nil {
		return err
	}
	// Nothing mounted from here on may propagate back to the host.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	if err := setupNetwork(); err != nil {
		return err
	}
	return setupChecked(netns, "the sandbox")
}

// freshNamespaces returns this process's network namespace and whether its
// network and mount namespaces both differ from those m saw outside.
func freshNamespaces(m marker) (netns nsID, fresh bool, err error) {
	netns, err = currentNS("net")
	if err != nil {
		return netns, false, err
	}
	mntns, err := currentNS("mnt")
	if err != nil {
		return netns, false, err
	}
	return netns, netns != m.outsideNet && mntns != m.outsideMnt, nil
}

// setupNetwork gives the sandbox its loopback addresses and name files.
func setupNetwork() error {
	if err := setupLoopback(); err != nil {
		return err
	}
	return setupNameFiles()
}

// setupChecked marks the setup done, tells the programs to come which
// network namespace is the sandbox's, and runs the sandbox's own check.
func setupChecked(netns nsID, sandbox string) error {
	setupDone.Store(true)
	if err := os.Setenv(sandboxNetnsEnv, netns.String()); err != nil {
		return err
	}
	if err := Inside(); err != nil {
		return fmt.Errorf("%s failed its own check: %w", sandbox, err)
	}
	return nil
}

// setupLoopback brings lo up and puts the address plan on it.
func setupLoopback() error {
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("finding lo: %w", err)
	}
	if err := netlink.LinkSetUp(lo); err != nil {
		return fmt.Errorf("bringing lo up: %w", err)
	}
	for _, p := range loopbackPrefixes() {
		addr := &netlink.Addr{IPNet: &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}}
		if p.Addr().Is6() {
			// Usable at once: no duplicate address detection on lo.
			addr.Flags = unix.IFA_F_NODAD
		}
		if err := netlink.AddrAdd(lo, addr); err != nil {
			hint := ""
			if p.Addr().Is6() {
				hint = " (is IPv6 disabled on this host?)"
			}
			return fmt.Errorf("adding %s to the sandbox's lo: %w%s", p, err, hint)
		}
	}
	return nil
}

// resolvConfText points every resolver in the sandbox at the rogue DNS.
func resolvConfText() string {
	return "# xbcheck sandbox: the rogue DNS server\nnameserver " + DNS.String() + "\noptions ndots:1\n"
}

// hostsText keeps only localhost: every other name must go through the
// rogue DNS.
const hostsText = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"

// nsswitchText is the host's nsswitch.conf with hosts looked up in files
// and DNS only: a "resolve" or "mdns" source would ask the host's resolver
// over a Unix socket, which network namespaces do not separate.
func nsswitchText(host string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(host, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "hosts:" {
			line = "hosts: files dns\n"
		}
		b.WriteString(line)
	}
	return b.String()
}

// setupNameFiles writes the sandbox's name-service files to a temporary
// folder and bind-mounts them over the real ones. The folder is removed
// right away: a mount keeps its file alive.
func setupNameFiles() error {
	dir, err := os.MkdirTemp("", "xbcheck-sandbox-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	files := []struct{ target, text string }{{resolvConf, resolvConfText()}, {hostsFile, hostsText}}
	if host, err := os.ReadFile(nsswitchConf); err == nil {
		files = append(files, struct{ target, text string }{nsswitchConf, nsswitchText(string(host))})
	}
	for _, f := range files {
		target, text := f.target, f.text
		src := filepath.Join(dir, filepath.Base(target))
		if err := os.WriteFile(src, []byte(text), 0o644); err != nil {
			return err
		}
		if err := unix.Mount(src, target, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind-mounting the sandbox's %s: %w", target, err)
		}
	}
	return nil
}
