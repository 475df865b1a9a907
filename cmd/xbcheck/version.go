package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/xbcheck/xbcheck/internal/binaries"
)

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the versions of xbcheck and of what it pins",
		Args:  noArgs,
		Run: func(c *cobra.Command, _ []string) {
			version, gatewayAPI := "(devel)", "unknown"
			if info, ok := debug.ReadBuildInfo(); ok {
				if info.Main.Version != "" {
					version = info.Main.Version
				}
				for _, d := range info.Deps {
					if d.Path == "sigs.k8s.io/gateway-api" {
						gatewayAPI = d.Version
					}
				}
			}
			out := c.OutOrStdout()
			fmt.Fprintf(out, "xbcheck %s\n", version)
			fmt.Fprintf(out, "gateway-api %s (XBackend gateway.networking.x-k8s.io/v1alpha1)\n", gatewayAPI)
			fmt.Fprintf(out, "kube-apiserver %s, etcd %s (embedded control plane)\n", binaries.KubernetesVersion, binaries.EtcdVersion)
		},
	}
}
