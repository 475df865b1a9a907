package apitext

// The Gateway, HTTPRoute and GRPCRoute text on how a request finds the
// route that names an XBackend: the topology around the Backend.
const (
	gatewayAPI   = "Gateway API (apis/v1) v1.6.3"
	grpcRoute    = "GRPCRoute API (apis/v1) v1.6.3"
	routeStatus7 = "RouteParentStatus (apis/v1) v1.7.0"
)

const (
	HeaderMatch      = Sentence(httpRoute + ": " + "Headers specifies HTTP request header matchers. Multiple match values are ANDed together, meaning, a request must match all the specified headers to select the route. ... Support: Core (Exact)")
	QueryParamMatch  = Sentence(httpRoute + ": " + "QueryParams specifies HTTP query parameter matchers. Multiple match values are ANDed together, meaning, a request must match all the specified query parameters to select the route. ... Support: Extended (Exact)")
	WildcardHostname = Sentence(httpRoute + ": " + "Hostnames that are prefixed with a wildcard label (`*.`) are interpreted as a suffix match. That means that a match for `*.example.com` would match both `test.example.com`, and `foo.test.example.com`, but not `example.com`.")
	RoutesFromAll    = Sentence(gatewayAPI + ": " + "From indicates where Routes will be selected for this Gateway. Possible values are: * All: Routes in all namespaces may be used by this Gateway. ... Support: Core")
)

// GRPCHostnames is how a GRPCRoute is picked for a call.
const GRPCHostnames = Sentence(grpcRoute + ": " + "Hostnames defines a set of hostnames to match against the GRPC Host header to select a GRPCRoute to process the request.")

// RouteAccepted is what a route of any kind learns from the Gateway it names.
const RouteAccepted = Sentence(routeStatus7 + ": " + "If the Route's ParentRef specifies an existing Gateway that supports Routes of this kind AND that Gateway's controller has sufficient access, then that Gateway's controller MUST set the \"Accepted\" condition on the Route, to indicate whether the route has been accepted or rejected by the Gateway, and why.")
