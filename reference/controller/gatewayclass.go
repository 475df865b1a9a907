package controller

import (
	"context"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/reference/faults"
)

func (c *Controllers) setupGatewayClass(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).Named("gatewayclass").
		For(&gatewayv1.GatewayClass{}).
		Complete(reconcile.Func(c.reconcileGatewayClass))
}

// reconcileGatewayClass accepts our classes and lists SupportedFeatures.
func (c *Controllers) reconcileGatewayClass(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var gc gatewayv1.GatewayClass
	if err := c.reader.Get(ctx, req.NamespacedName, &gc); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if gc.Spec.ControllerName != c.opts.ControllerName {
		return ctrl.Result{}, nil
	}
	want := gc.DeepCopy()
	want.Status.Conditions = setConditions(gc.Status.Conditions,
		condition(gatewayv1.GatewayClassConditionStatusAccepted, true, gatewayv1.GatewayClassReasonAccepted,
			"accepted by the xbcheck reference gateway", gc.Generation))
	want.Status.SupportedFeatures = nil
	if !c.opts.Faults.Has(faults.NoSupportedFeatures) {
		unclaimed := unclaimedFeatures(c.opts.Faults)
		for _, f := range SupportedFeatures {
			if slices.Contains(unclaimed, f) {
				continue
			}
			want.Status.SupportedFeatures = append(want.Status.SupportedFeatures, gatewayv1.SupportedFeature{Name: f})
		}
	}
	if equality.Semantic.DeepEqual(gc.Status, want.Status) {
		return ctrl.Result{}, nil
	}
	return patched(c.client.Status().Patch(ctx, want, client.MergeFromWithOptions(&gc, client.MergeFromWithOptimisticLock{})))
}

// patched turns a status patch's error into a result: a conflict (our
// cache was behind) is retried shortly, as the newer object is on its way.
func patched(err error) (ctrl.Result, error) {
	if apierrors.IsConflict(err) {
		return ctrl.Result{RequeueAfter: 100 * time.Millisecond}, nil
	}
	return ctrl.Result{}, client.IgnoreNotFound(err)
}
