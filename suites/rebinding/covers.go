package rebinding

import "github.com/xbcheck/xbcheck/internal/coverage/dimension"

// covers names the behaviour class of each rebinding test, for the
// coverage map: the kind of forbidden answer it serves.
func covers(shortName string) []dimension.Class {
	classes := map[dimension.Class][]string{
		dimension.DNSRebindLoopback: {"RebindLoopback", "RebindLoopbackRangeEnd", "RebindIPv6Loopback", "RebindUnspecified",
			"RebindTLSLoopback", "RebindTLSLoopbackRangeEnd", "RebindTLSIPv6Loopback"},
		dimension.DNSRebindMetadata: {"RebindMetadataIPv4", "RebindMetadataIPv6", "RebindLinkLocalRangeEdges", "RebindTLSMetadata"},
		dimension.DNSRebindCluster: {"RebindPodAddress", "RebindServiceAddress", "RebindNodeAddress", "RebindPrivate10RangeEdges",
			"RebindPrivate172RangeEdges", "RebindPrivate192RangeEdges", "RebindCGNATRangeEdges", "RebindULARangeEdges",
			"RebindTLSPodAddress", "RebindTLSServiceAddress", "RebindTLSCGNATRangeEdges"},
		dimension.DNSRebindEmbedded: {"RebindIPv4MappedLoopback", "RebindIPv4MappedMetadata", "RebindNAT64Loopback", "RebindNAT64Metadata",
			"RebindSixToFourLoopback", "RebindSixToFourMetadata", "RebindTLSIPv4MappedLoopback"},
		dimension.DNSRebindMixed:    {"RebindMixedLoopbackFirst", "RebindMixedPublicFirst", "RebindTLSMixedLoopbackFirst"},
		dimension.DNSRebindCNAME:    {"RebindCNAMELocalhost", "RebindCNAMEClusterLocal", "RebindTLSCNAMELocalhost"},
		dimension.DNSRebindAfterTTL: {"RebindLoopbackFlipFlop", "RebindTLSLoopbackFlipFlop"},
	}
	var out []dimension.Class
	for class, names := range classes {
		for _, n := range names {
			if n == shortName {
				out = append(out, class)
			}
		}
	}
	return out
}
