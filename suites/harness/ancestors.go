package harness

import (
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/internal/gatewayapi"
)

// IsGatewayRef reports whether an XBackend status entry's ref names a
// Gateway. The API's defaults apply to an unset group or kind (group
// gateway.networking.k8s.io, kind Gateway, in the XBackend CRDs of v1.6.3
// and v1.7.0 alike); an empty group is the core group, so no Gateway.
// Other ancestors (a mesh, a Service) are allowed beside the Gateways'
// entries: "Ancestors is a list of ancestor resources (usually Gateways)",
// so no spec judges them as a Gateway's.
func IsGatewayRef(ref gatewayv1.ParentReference) bool {
	return (ref.Group == nil || *ref.Group == gatewayv1.GroupName) && (ref.Kind == nil || *ref.Kind == "Gateway")
}

// GatewayEntries lists controller's entries whose ref names a Gateway.
func GatewayEntries(entries []gatewayapi.Ancestor, controller gatewayv1.GatewayController) []gatewayapi.Ancestor {
	var out []gatewayapi.Ancestor
	for _, a := range OfController(entries, controller) {
		if IsGatewayRef(a.Ref) {
			out = append(out, a)
		}
	}
	return out
}
