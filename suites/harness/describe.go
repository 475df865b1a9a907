package harness

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/internal/gatewayapi"
)

// Failure messages show Kubernetes objects as values, one readable line per
// status entry, never as Go pointers.

// DescribeConditions renders conditions on one line.
func DescribeConditions(conds []metav1.Condition) string {
	if len(conds) == 0 {
		return "none"
	}
	parts := make([]string, len(conds))
	for i, c := range conds {
		parts[i] = fmt.Sprintf("%s=%s (%s, generation %d)", c.Type, c.Status, c.Reason, c.ObservedGeneration)
	}
	return strings.Join(parts, ", ")
}

// DescribeRef renders a parent or ancestor reference: kind, namespace and
// name, with section and port when set.
func DescribeRef(ref gatewayv1.ParentReference, defaultNamespace string) string {
	kind, ns := "Gateway", defaultNamespace
	if ref.Kind != nil {
		kind = string(*ref.Kind)
	}
	if ref.Namespace != nil {
		ns = string(*ref.Namespace)
	}
	out := fmt.Sprintf("%s %s/%s", kind, ns, ref.Name)
	if ref.SectionName != nil {
		out += " section " + string(*ref.SectionName)
	}
	if ref.Port != nil {
		out += fmt.Sprintf(" port %d", *ref.Port)
	}
	return out
}

// DescribeAncestors renders an XBackend's status entries, one a line.
func DescribeAncestors(entries []gatewayapi.Ancestor) string {
	return describeEach(entries, func(a gatewayapi.Ancestor) string {
		return fmt.Sprintf("%s for %s: %s", a.ControllerName, DescribeRef(a.Ref, "(same namespace)"), DescribeConditions(a.Conditions))
	})
}

// DescribeRouteParents renders an HTTPRoute's status.parents, one a line.
func DescribeRouteParents(parents []gatewayv1.RouteParentStatus) string {
	return describeEach(parents, func(p gatewayv1.RouteParentStatus) string {
		return fmt.Sprintf("%s for %s: %s", p.ControllerName, DescribeRef(p.ParentRef, "(route namespace)"), DescribeConditions(p.Conditions))
	})
}

// describeEach renders entries one a line, each line indented under the
// text before it, or "none".
func describeEach[E any](entries []E, line func(E) string) string {
	if len(entries) == 0 {
		return "none"
	}
	var b strings.Builder
	for _, e := range entries {
		b.WriteString("\n  " + line(e))
	}
	return b.String()
}
