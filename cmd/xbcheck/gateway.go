package main

import (
	"bufio"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/internal/implementation"
	"github.com/xbcheck/xbcheck/internal/runner"
	"github.com/xbcheck/xbcheck/reference"
	"github.com/xbcheck/xbcheck/reference/controller"
	"github.com/xbcheck/xbcheck/reference/faults"
	"github.com/xbcheck/xbcheck/reference/guardrail"
)

func newGatewayCommand() *cobra.Command {
	var kubeconfig, addresses, dnsServer, allow, faultList, controllerName, adminAddr, clusterDomain string
	var inCluster bool
	c := &cobra.Command{
		Use:   "gateway",
		Short: "Run the reference Gateway implementation as a process of its own",
		Long: `gateway runs xbcheck's reference Gateway API implementation (controllers and
data plane) until interrupted, so it can be tested as any implementation is:
xbcheck run --implementation-cmd "xbcheck gateway --faults no-sni".
Flags left unset take their value from the environment xbcheck gives an
implementation (KUBECONFIG, XBCHECK_GATEWAY_ADDRESSES, XBCHECK_DNS_SERVER,
XBCHECK_GUARDRAIL_ALLOW, XBCHECK_CONTROLLER_NAME), else from /etc/resolv.conf.
With --in-cluster it runs in a pod, as xbcheck deploys it into a cluster:
it reaches the API server with the pod's service account and exposes each
Gateway through a Service of the Gateway's namespace leading to the pod
($POD_IP), whose ClusterIP becomes the Gateway's address.`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			kubeconfig = orEnv(kubeconfig, implementation.EnvKubeconfig)
			cfg, frontend, err := gatewayCluster(kubeconfig, inCluster)
			if err != nil {
				return err
			}
			pool, err := parseAddrs("--address", orEnv(addresses, implementation.EnvGatewayAddresses))
			if err != nil {
				return err
			}
			var policy guardrail.Policy
			if a := orEnv(allow, implementation.EnvGuardrailAllow); a != "" {
				for _, p := range strings.Split(a, ",") {
					prefix, err := netip.ParsePrefix(strings.TrimSpace(p))
					if err != nil {
						return runner.UsageError{Err: fmt.Errorf("--allow %q: %v; give CIDR prefixes such as 127.0.1.0/24", p, err)}
					}
					policy.Allow = append(policy.Allow, prefix)
				}
			}
			dnsServer = orEnv(dnsServer, implementation.EnvDNSServer)
			if dnsServer == "" {
				if dnsServer, err = resolvConfServer("/etc/resolv.conf"); err != nil {
					return runner.UsageError{Err: err}
				}
			}
			fs, err := faults.Parse(faultList)
			if err != nil {
				return runner.UsageError{Err: fmt.Errorf("--faults: %w", err)}
			}
			name := servedController(controllerName)
			exposed := orDefault(pool)
			opts := reference.Options{
				Config:         cfg,
				ControllerName: name,
				Addresses:      pool,
				ClusterDomain:  clusterDomain,
				DNSServer:      dnsServer,
				Guardrail:      policy,
				Faults:         fs,
				AdminAddr:      adminAddr,
				Logger:         slog.New(slog.NewTextHandler(c.ErrOrStderr(), nil)),
			}
			if frontend != nil {
				exposed, opts.Frontend = "a Service per Gateway, leading to "+frontend.Pod.String(), frontend
			}
			fmt.Fprintf(c.OutOrStdout(), "reference gateway: controller %s, addresses %s, DNS %s, faults [%s]\n", name, exposed, dnsServer, fs)
			return reference.Run(c.Context(), opts)
		},
	}
	f := c.Flags()
	f.StringVar(&kubeconfig, "kubeconfig", "", "the cluster to serve")
	f.StringVar(&addresses, "address", "", "comma-separated data-plane IPs, one per Gateway (default 127.0.2.1)")
	f.StringVar(&dnsServer, "dns", "", "host:port of the DNS server XBackend hostnames are resolved with (default: the first nameserver of /etc/resolv.conf)")
	f.StringVar(&allow, "allow", "", "comma-separated prefixes the egress guardrail allows although internal (loopback test setups only)")
	f.StringVar(&faultList, "faults", "", "comma-separated faults that break the gateway on purpose (mutation testing)")
	f.StringVar(&controllerName, "controller-name", "", "GatewayClass controllerName to serve (default "+string(controller.DefaultControllerName)+")")
	f.StringVar(&adminAddr, "admin-address", "127.0.0.1:0", "where the admin endpoint (a rebinding target) listens")
	f.BoolVar(&inCluster, "in-cluster", false, "run as a pod: the API server of the pod's service account, a Service per Gateway leading to $POD_IP")
	f.StringVar(&clusterDomain, "cluster-domain", controller.DefaultClusterDomain, "the cluster's DNS domain, under which XBackend hostnames are refused")
	return c
}

// servedController is the controllerName the gateway serves: the flag,
// the variable xbcheck sets, or the default.
func servedController(flag string) gatewayv1.GatewayController {
	if n := orEnv(flag, implementation.EnvControllerName); n != "" {
		return gatewayv1.GatewayController(n)
	}
	return controller.DefaultControllerName
}

// gatewayCluster is where the gateway finds the API server, and, in a
// pod, how it exposes Gateways.
func gatewayCluster(kubeconfig string, inCluster bool) (*rest.Config, *controller.ServiceFrontends, error) {
	if !inCluster {
		if kubeconfig == "" {
			return nil, nil, runner.UsageError{Err: fmt.Errorf("gateway needs --kubeconfig (or KUBECONFIG), or --in-cluster in a pod")}
		}
		cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		if err != nil {
			return nil, nil, runner.UsageError{Err: fmt.Errorf("--kubeconfig %s: %v", kubeconfig, err)}
		}
		return cfg, nil, nil
	}
	cfg, err := rest.InClusterConfig()
	if err != nil {
		return nil, nil, runner.UsageError{Err: fmt.Errorf("--in-cluster: %v; run it in a pod with a service account", err)}
	}
	pod, err := netip.ParseAddr(os.Getenv("POD_IP"))
	if err != nil {
		return nil, nil, runner.UsageError{Err: fmt.Errorf("--in-cluster needs POD_IP, the pod's address (the downward API's status.podIP): %q", os.Getenv("POD_IP"))}
	}
	return cfg, &controller.ServiceFrontends{Pod: pod}, nil
}

func orEnv(v, env string) string {
	if v != "" {
		return v
	}
	return os.Getenv(env)
}

func orDefault(pool []netip.Addr) string {
	if len(pool) == 0 {
		return "127.0.2.1 (default)"
	}
	return fmt.Sprintf("%s..%s (%d)", pool[0], pool[len(pool)-1], len(pool))
}

func parseAddrs(flag, list string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, runner.UsageError{Err: fmt.Errorf("%s %q: %v; give IP addresses separated by commas", flag, s, err)}
		}
		out = append(out, a)
	}
	return out, nil
}

// resolvConfServer returns host:53 of the first nameserver in path.
func resolvConfServer(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("no --dns and %v; give --dns HOST:PORT", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "nameserver" {
			if a, err := netip.ParseAddr(fields[1]); err == nil {
				return netip.AddrPortFrom(a, 53).String(), nil
			}
		}
	}
	return "", fmt.Errorf("no --dns and no nameserver in %s; give --dns HOST:PORT", path)
}
