package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/internal/gatewayapi"
	"github.com/xbcheck/xbcheck/reference/faults"
	"github.com/xbcheck/xbcheck/reference/xbackend"
)

func (c *Controllers) setupXBackend(mgr ctrl.Manager) error {
	all := c.enqueueAll(c.allXBackends)
	return c.watchTCPRoutes(ctrl.NewControllerManagedBy(mgr).Named("xbackend").
		For(xbackend.Object()).
		Watches(&gatewayv1.HTTPRoute{}, all).
		Watches(&gatewayv1.GRPCRoute{}, all).
		Watches(&gatewayv1.Gateway{}, all).
		Watches(&gatewayv1.GatewayClass{}, all).
		Watches(&corev1.ConfigMap{}, c.enqueueReferrers(func(xb *xbackend.XBackend) []string {
			return configMapNames(xb, c.opts.Faults.Has(faults.CARefAnyKind))
		})).
		Watches(&corev1.Secret{}, c.enqueueReferrers(secretNames)).
		Watches(&corev1.Pod{}, all), all).
		Complete(reconcile.Func(c.reconcileXBackend))
}

// configMapNames lists the ConfigMaps xb refers to (caCertificateRefs);
// anyKind (the ca-ref-any-kind fault) takes every reference for one.
func configMapNames(xb *xbackend.XBackend, anyKind bool) []string {
	if xb.Spec.TLS == nil || xb.Spec.TLS.Validation == nil {
		return nil
	}
	var names []string
	for _, ref := range xb.Spec.TLS.Validation.CACertificateRefs {
		if anyKind || ref.Group == "" && ref.Kind == "ConfigMap" {
			names = append(names, string(ref.Name))
		}
	}
	return names
}

// secretNames lists the Secret of xb's clientCertificateRef, when it is in xb's namespace.
func secretNames(xb *xbackend.XBackend) []string {
	if xb.Spec.TLS == nil || xb.Spec.TLS.ClientCertificateRef == nil {
		return nil
	}
	ref := xb.Spec.TLS.ClientCertificateRef
	if ref.Namespace != nil && string(*ref.Namespace) != xb.Namespace {
		return nil
	}
	return []string{string(ref.Name)}
}

// enqueueReferrers maps a ConfigMap or Secret to the XBackends of its
// namespace that refer to it, so a created or rotated CA is picked up.
func (c *Controllers) enqueueReferrers(names func(*xbackend.XBackend) []string) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, obj client.Object) []reconcile.Request {
		l := xbackend.List()
		if err := c.reader.List(ctx, l, client.InNamespace(obj.GetNamespace())); err != nil {
			c.opts.Logger.Error(err, "listing XBackends referring to", "object", client.ObjectKeyFromObject(obj))
			return nil
		}
		var out []reconcile.Request
		for i := range l.Items {
			xb, err := xbackend.Decode(&l.Items[i], c.opts.Schema)
			if err != nil {
				c.opts.Logger.Error(err, "decoding an XBackend")
				continue
			}
			if slices.Contains(names(xb), obj.GetName()) {
				out = append(out, reconcile.Request{NamespacedName: xb.Key()})
			}
		}
		return out
	})
}

// reconcileXBackend rebuilds the XBackend's transport when it or its
// references changed, and writes our status.parents entries.
func (c *Controllers) reconcileXBackend(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	w, err := c.world(ctx)
	if err != nil {
		return ctrl.Result{}, err
	}
	key := req.NamespacedName
	xb, ok := w.XBackends[key]
	if !ok {
		c.backends.remove(key)
		c.firstGen.forget(key)
		c.firstEps.forget(key)
		return ctrl.Result{}, c.syncService(ctx, key, nil)
	}
	// The Service is ours to keep only while a Gateway of ours uses the
	// XBackend: another implementation sharing the cluster keeps its own.
	served := xb
	if len(w.XBackendGateways(key)) == 0 {
		served = nil
	}
	if err := c.syncService(ctx, key, served); err != nil {
		return ctrl.Result{}, err
	}
	refs, fingerprint, err := c.readReferences(ctx, xb)
	if err != nil {
		return ctrl.Result{}, err
	}
	if xb.Spec.Type == xbackend.TypeEndpointSelector {
		refs.Endpoints = w.Endpoints(xb, c.opts.Faults)
		if c.opts.Faults.Has(faults.StaleEndpoints) {
			refs.Endpoints = c.firstEps.get(key, refs.Endpoints)
		}
		fingerprint += fmt.Sprintf("|endpoints:%v", refs.Endpoints)
	}
	b, refusal := Translator{ClusterDomain: c.opts.ClusterDomain, Faults: c.opts.Faults}.Translate(xb, refs)
	if err := c.backends.update(key, fingerprint, b, refusal); err != nil && refusal == nil {
		refusal = refuse(ReasonInvalid, "%v", err)
	}
	refusal = vendorReason(refusal, c.opts.Faults)
	if c.opts.Faults.Has(faults.NoXBackendStatus) {
		return ctrl.Result{}, nil
	}
	generation := xb.Generation
	if c.opts.Faults.Has(faults.StaleObservedGeneration) {
		generation = c.firstGen.get(key, xb)
	}
	accepted := condition(ConditionAccepted, true, ReasonAccepted, "accepted: "+b.Hostname+" is served", generation)
	if b.Selector {
		accepted.Message = fmt.Sprintf("accepted: the pods its endpointSelector selects are served (%d ready)", len(b.Endpoints))
	}
	if refusal != nil {
		accepted = condition(ConditionAccepted, false, refusal.Reason, refusal.Message, generation)
	}
	gateways := w.XBackendGateways(key)
	if c.opts.Faults.Has(faults.StatusForForeignGateways) {
		gateways = w.XBackendParentRefs(key)
	}
	conditions := entryConditions(accepted, c.opts.Faults)
	parents := XBackendParents(xb.Ancestors, c.opts.ControllerName, xb.Namespace,
		gateways, conditions, c.opts.Faults.Has(faults.KeepStaleParents))
	if c.opts.Faults.Has(faults.MeshAncestorEntry) {
		parents = withMeshEntry(parents, c.opts.ControllerName, len(gateways) > 0, conditions)
	}
	if len(parents) == 0 && len(xb.Ancestors) == 0 || equality.Semantic.DeepEqual(parents, xb.Ancestors) {
		return ctrl.Result{}, nil
	}
	return patched(c.patchXBackendParents(ctx, xb, parents))
}

// patchXBackendParents writes the status entries where the installed schema
// keeps them, with a JSON merge patch guarded by the resourceVersion: the
// list is atomic, and a merge patch works for every shape a user can write.
func (c *Controllers) patchXBackendParents(ctx context.Context, xb *xbackend.XBackend, parents []gatewayapi.Ancestor) error {
	body, err := xbackend.StatusPatch(c.opts.Schema, xb.ResourceVersion, parents)
	if err != nil {
		return err
	}
	target := xbackend.Object()
	target.SetNamespace(xb.Namespace)
	target.SetName(xb.Name)
	return c.client.Status().Patch(ctx, target, client.RawPatch(types.MergePatchType, body))
}

// readReferences reads the ConfigMaps and Secret xb refers to, and a
// fingerprint that changes whenever xb or any of them does.
func (c *Controllers) readReferences(ctx context.Context, xb *xbackend.XBackend) (References, string, error) {
	refs := References{ConfigMaps: map[string]*corev1.ConfigMap{}, Secrets: map[string]*corev1.Secret{}}
	var fp strings.Builder
	fmt.Fprintf(&fp, "%s/%d", xb.UID, xb.Generation)
	for _, name := range configMapNames(xb, c.opts.Faults.Has(faults.CARefAnyKind)) {
		var cm corev1.ConfigMap
		version, err := c.read(ctx, types.NamespacedName{Namespace: xb.Namespace, Name: name}, &cm)
		if err != nil {
			return refs, "", err
		}
		if version != "" {
			refs.ConfigMaps[name] = &cm
		}
		if c.opts.Faults.Has(faults.IgnoreConfigMapUpdates) {
			// The fault: a ConfigMap counts by name, not by content.
			version = "any"
		}
		fmt.Fprintf(&fp, "|cm:%s@%s", name, version)
	}
	for _, name := range secretNames(xb) {
		var s corev1.Secret
		version, err := c.read(ctx, types.NamespacedName{Namespace: xb.Namespace, Name: name}, &s)
		if err != nil {
			return refs, "", err
		}
		if version != "" {
			refs.Secrets[name] = &s
		}
		fmt.Fprintf(&fp, "|secret:%s@%s", name, version)
	}
	return refs, fp.String(), nil
}

// read gets key into obj and returns its resourceVersion, "" when it does not exist.
func (c *Controllers) read(ctx context.Context, key types.NamespacedName, obj client.Object) (string, error) {
	err := c.reader.Get(ctx, key, obj)
	if apierrors.IsNotFound(err) {
		return "", nil
	}
	return obj.GetResourceVersion(), err
}

// firstGenerations remembers the generation each XBackend was first seen
// at, for the stale-observed-generation fault.
type firstGenerations struct {
	mu  sync.Mutex
	gen map[types.NamespacedName]int64
}

func newFirstGenerations() *firstGenerations {
	return &firstGenerations{gen: map[types.NamespacedName]int64{}}
}

func (f *firstGenerations) get(key types.NamespacedName, xb *xbackend.XBackend) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if g, ok := f.gen[key]; ok {
		return g
	}
	f.gen[key] = xb.Generation
	return xb.Generation
}

func (f *firstGenerations) forget(key types.NamespacedName) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.gen, key)
}
