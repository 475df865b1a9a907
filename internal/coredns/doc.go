// Package coredns makes a cluster's CoreDNS forward a stub zone (xbcheck.test)
// to xbcheck's rogue DNS, and undoes that exactly.
//
// In a cluster the rogue DNS runs as a pod behind a Service, and the
// implementation's pods resolve through CoreDNS: [Add] appends a server
// block to the Corefile in CoreDNS's ConfigMap (found through the
// Deployment labelled k8s-app=kube-dns, as kubeadm, kind and xbcheck's node
// deploy it):
//
//	xbcheck.test:53 {
//	    errors
//	    forward . 10.96.12.34:53
//	}
//
// The block has no cache plugin on purpose: the rebinding specs serve
// answers with TTL 0 and change them between queries, and a cache would
// hold the first answer (and rewrite its TTL), so the implementation would
// never see the rebinding the spec is about.
//
// A ConfigMap's new content reaches a running pod's volume only when the
// kubelet next syncs the pod (a minute or more), and CoreDNS reads it only
// with the reload plugin, which xbcheck's node Corefile does not have. So
// Add and Restore restart CoreDNS's pods themselves, one at a time so the
// others keep answering, without touching the Deployment, and return once
// each replacement is Ready, the pods with the old Corefile are gone and
// the Deployment is available: from then on every CoreDNS pod serves the
// Corefile written. (kube-proxy may still need a second to route the
// Service to the new pods.)
//
// Changing the cluster's DNS is allowed only on clusters xbcheck created or
// with the user's --allow-cluster-changes; the caller decides, this package
// makes the change safe to undo:
//
//   - Add refuses, changing nothing, when the Corefile already serves the
//     zone (or a zone under it) in a block xbcheck did not add, or still
//     carries another run's change;
//   - the same update that appends the block labels the ConfigMap
//     [RunLabel]=run and keeps the Corefile from before, byte for byte, in
//     the annotation [OriginalAnnotation]; updates use the ConfigMap's
//     resourceVersion and retry on conflict, so others' edits are kept;
//   - [Change.Restore] puts that Corefile back at the end of a run or on
//     Ctrl-C, and [Clean] does so for `xbcheck clean` after a crash.
//
// In a run:
//
//	ch, err := coredns.Add(ctx, cs, runID, coredns.StubZone{Zone: "xbcheck.test", Servers: servers}, os.Stderr)
//	if err != nil {
//		return err
//	}
//	// At the end, and from the Ctrl-C path, with a context of its own:
//	err = ch.Restore(cleanupCtx)
package coredns
