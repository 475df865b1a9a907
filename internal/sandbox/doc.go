// Package sandbox runs xbcheck inside a private network with a simulated
// internet, and decides whether an address other than loopback may be used.
//
// On Linux, [Run] re-executes the program in new user, network and mount
// namespaces (rootless where unprivileged user namespaces are allowed, and as
// root too). The re-executed child, in its own call to Run, sets the sandbox
// up before anything else happens:
//   - lo is up and carries the address plan: [Harness] and [DNS] on
//     127.0.0.0/8, the [GatewayPool] (192.0.2.10–192.0.2.250), the simulated
//     [Internet] (all of 203.0.113.0/24) and its one IPv6 address
//     [InternetV6] (2001:db8::113), the metadata canaries [MetadataV4]
//     and [MetadataV6], and the in-cluster [PodCanary];
//   - no other link is up and there is no route out, so nothing can leak;
//   - mount propagation is private, and /etc/resolv.conf (nameserver
//     127.0.0.53), /etc/hosts (localhost only) and /etc/nsswitch.conf (hosts
//     from files and DNS only) are bind-mounted over, for the sandbox alone.
//
// The filesystem is the host's, so files the run writes land where the user
// asked. The network is not: the sandbox cannot reach the Go module proxy or
// a cluster, so download or build what the run needs before calling Run.
//
//	handled, code, err := sandbox.Run(sandbox.Options{Mode: mode})
//	switch {
//	case handled: // the child ran the program (or the sandbox was required and is unavailable)
//		if err != nil {
//			fmt.Fprintln(os.Stderr, "xbcheck: "+err.Error())
//		}
//		os.Exit(code)
//	case errors.Is(err, sandbox.ErrUnavailable):
//		fmt.Fprintln(os.Stderr, "xbcheck: "+err.Error()+"; running on loopback only")
//	case err != nil:
//		fatal(err)
//	}
//	// Inside the sandbox, or on loopback only: sandbox.Inside() says which.
//
// The safety rule lives in [Inside] and [Guard]: before binding or dialling
// any address outside 127.0.0.0/8 and ::1, call Guard; it fails unless this
// process is verifiably inside the sandbox it made. Processes started inside
// the sandbox inherit the proof through their environment (keep os.Environ()
// when setting exec.Cmd.Env).
//
// A Kubernetes node needs a variant ([Options].Node): runc cannot mount
// devpts in a user namespace that maps root alone, so the node sandbox runs
// as real root (anything else is refused with the reason) in new network,
// mount and PID namespaces and no user namespace. Its first process (PID 1
// of the namespace) sets it up like the default sandbox, plus a /proc of its
// own, a tmpfs on each of [NodeOptions].PrivateDirs and a cgroup of its own
// ([Cgroup]); it then runs the program again as its child, reaps the
// orphans the node's daemons leave, and ends with the program. That end
// takes every process left in the namespace with it (container shims and
// pods included), and with them the mounts, links and iptables rules of the
// namespaces. The parent then removes what it made outside: [Workdir], the
// private folders it created, the cgroup. Inside a node sandbox, [Inside]
// also accepts bridges and veth pairs that are up (the pod network), but
// still no default route and no route through any other link.
//
// Where namespaces are refused (another OS, a locked-down container), Run
// reports [ErrUnavailable] with the reason in mode auto, fails with a
// one-line error in mode require, and does nothing in mode off.
package sandbox
