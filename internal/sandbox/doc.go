// Package sandbox runs xbcheck inside a private network with a simulated
// internet, and decides whether an address other than loopback may be used.
//
// On Linux, [Run] re-executes the program in new user, network and mount
// namespaces (rootless where unprivileged user namespaces are allowed, and as
// root too). The re-executed child, in its own call to Run, sets the sandbox
// up before anything else happens:
//   - lo is up and carries the address plan: [Harness] and [DNS] on
//     127.0.0.0/8, the [GatewayPool] (192.0.2.10–192.0.2.250), the simulated
//     [Internet] (all of 203.0.113.0/24), the metadata canaries [MetadataV4]
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
// Where namespaces are refused (another OS, a locked-down container), Run
// reports [ErrUnavailable] with the reason in mode auto, fails with a
// one-line error in mode require, and does nothing in mode off.
package sandbox
