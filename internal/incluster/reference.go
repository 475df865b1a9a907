package incluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// ReferenceOptions says how to deploy xbcheck's reference gateway as a
// pod, the way implementations run their controllers and data planes.
// Config, Image and Namespace are required.
type ReferenceOptions struct {
	Config *rest.Config
	// Image is xbcheck's own image; its `xbcheck gateway --in-cluster`
	// runs the controllers and the data plane in one pod.
	Image string
	// Namespace holds the Deployment, its service account and its trust
	// store; it must exist (the fakes' namespace), and goes with them.
	Namespace string
	// Name names the cluster-wide RBAC objects; Labels go on them, so that
	// `xbcheck clean` finds them after a crash.
	Name   string
	Labels map[string]string
	// ControllerName is the GatewayClass controllerName it serves.
	ControllerName string
	// Faults are --faults of the gateway (mutation testing).
	Faults string
	// ClusterDomain is the cluster's DNS domain.
	ClusterDomain string
	// SystemRoots is the PEM of the CAs the gateway trusts as "the system
	// CAs" (SSL_CERT_FILE).
	SystemRoots []byte
	// Timeout bounds the wait for the pod; default 2 minutes.
	Timeout time.Duration
}

// Reference is the reference gateway running in the cluster.
type Reference struct {
	// Pod is the gateway pod's name, for its log.
	Pod string
	// Took is how long DeployReference took, to a Ready pod.
	Took time.Duration

	cs        kubernetes.Interface
	name      string
	namespace string
}

const (
	referenceName  = "reference-gateway"
	trustMountPath = "/etc/xbcheck/trust"
	trustFile      = "system-roots.pem"
)

// DeployReference creates the gateway's service account and its
// cluster-wide rights, its trust store and its Deployment, and returns
// once its pod is Ready. On error it deletes the cluster-wide objects it
// made; the rest goes with the namespace.
func DeployReference(ctx context.Context, o ReferenceOptions) (_ *Reference, err error) {
	start := time.Now()
	if o.Config == nil || o.Image == "" || o.Namespace == "" || o.Name == "" {
		return nil, errors.New("incluster: ReferenceOptions.Config, Image, Namespace and Name are required")
	}
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Minute
	}
	cs, err := kubernetes.NewForConfig(o.Config)
	if err != nil {
		return nil, err
	}
	r := &Reference{cs: cs, name: o.Name, namespace: o.Namespace}
	defer func() {
		if err != nil {
			err = errors.Join(err, r.Close(context.WithoutCancel(ctx)))
		}
	}()
	meta := metav1.ObjectMeta{Name: referenceName, Namespace: o.Namespace}
	if _, err := cs.CoreV1().ServiceAccounts(o.Namespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: meta}, metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("create the reference gateway's service account: %w", err)
	}
	cluster := metav1.ObjectMeta{Name: o.Name, Labels: o.Labels}
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: cluster, Rules: referenceRules()}, metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("create ClusterRole %s for the reference gateway: %w", o.Name, err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: cluster,
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: o.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: referenceName, Namespace: o.Namespace}},
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("create ClusterRoleBinding %s for the reference gateway: %w", o.Name, err)
	}
	if err := awaitRights(ctx, cs, o.Namespace, o.Timeout); err != nil {
		return nil, err
	}
	trust := &corev1.ConfigMap{ObjectMeta: meta, Data: map[string]string{trustFile: string(o.SystemRoots)}}
	if _, err := cs.CoreV1().ConfigMaps(o.Namespace).Create(ctx, trust, metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("create the reference gateway's trust store: %w", err)
	}
	if _, err := cs.AppsV1().Deployments(o.Namespace).Create(ctx, referenceDeployment(meta, o), metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("create the reference gateway's Deployment: %w", err)
	}
	pod, err := waitPod(ctx, cs, o.Namespace, appLabel+"="+referenceName, "the reference gateway's pod", o.Timeout)
	if err != nil {
		return nil, err
	}
	r.Pod, r.Took = pod.Name, time.Since(start)
	return r, nil
}

// State says how the gateway's pod is doing, for an error: its phase,
// restarts and last exit, with the kubectl command for its log.
func (r *Reference) State(ctx context.Context) string {
	if r.cs == nil {
		return "deleted"
	}
	pod, err := r.cs.CoreV1().Pods(r.namespace).Get(ctx, r.Pod, metav1.GetOptions{})
	if err != nil {
		return fmt.Sprintf("pod %s/%s: %v", r.namespace, r.Pod, err)
	}
	state := "phase " + string(pod.Status.Phase)
	for _, c := range pod.Status.ContainerStatuses {
		if w := c.State.Waiting; w != nil {
			state += ", " + w.Reason
		}
		if c.RestartCount > 0 {
			state += fmt.Sprintf(", %d restarts", c.RestartCount)
		}
		t := c.State.Terminated
		if t == nil {
			t = c.LastTerminationState.Terminated
		}
		if t != nil {
			state += fmt.Sprintf(", last exit %d: %s", t.ExitCode, strings.Join(strings.Fields(t.Message), " "))
		}
	}
	return fmt.Sprintf("%s (its log: kubectl logs -n %s %s, or <report>/pods/)", state, r.namespace, r.Pod)
}

// Close deletes the gateway's cluster-wide rights. It is safe to call more
// than once.
func (r *Reference) Close(ctx context.Context) error {
	if r == nil || r.cs == nil {
		return nil
	}
	cs := r.cs
	r.cs = nil
	rbac := cs.RbacV1()
	return errors.Join(
		ignoreNotFound(rbac.ClusterRoleBindings().Delete(ctx, r.name, metav1.DeleteOptions{})),
		ignoreNotFound(rbac.ClusterRoles().Delete(ctx, r.name, metav1.DeleteOptions{})),
	)
}

// awaitRights waits until the API server's authorizer grants the new
// binding: a gateway whose first list is refused backs off for up to
// minutes before its caches sync.
func awaitRights(ctx context.Context, cs kubernetes.Interface, namespace string, timeout time.Duration) error {
	review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:               "system:serviceaccount:" + namespace + ":" + referenceName,
		Groups:             []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace},
		ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "list", Group: "gateway.networking.k8s.io", Resource: "gatewayclasses"},
	}}
	var last string
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		got, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
		if err != nil {
			last = err.Error()
			return false, nil
		}
		last = got.Status.Reason
		return got.Status.Allowed, nil
	})
	if err != nil {
		return fmt.Errorf("the reference gateway's service account is not granted its ClusterRole within %s (%s)", timeout, last)
	}
	return nil
}

// referenceRules are what the gateway reads and writes: the Gateway API
// objects and their status, the XBackend CRD (the schema it serves), the
// CA ConfigMaps and client Secrets XBackends name, the pods their
// endpointSelectors select, and the Services and EndpointSlices that
// expose its Gateways and back EndpointSelector XBackends.
func referenceRules() []rbacv1.PolicyRule {
	read := []string{"get", "list", "watch"}
	write := []string{"get", "list", "watch", "create", "update", "patch", "delete"}
	return []rbacv1.PolicyRule{
		{APIGroups: []string{"gateway.networking.k8s.io", "gateway.networking.x-k8s.io"}, Resources: []string{"*"}, Verbs: read},
		{APIGroups: []string{"gateway.networking.k8s.io", "gateway.networking.x-k8s.io"}, Resources: []string{"*/status"}, Verbs: []string{"get", "update", "patch"}},
		{APIGroups: []string{""}, Resources: []string{"configmaps", "secrets", "namespaces", "pods"}, Verbs: read},
		{APIGroups: []string{"apiextensions.k8s.io"}, Resources: []string{"customresourcedefinitions"}, Verbs: []string{"get"}},
		{APIGroups: []string{""}, Resources: []string{"services"}, Verbs: write},
		{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: write},
		{APIGroups: []string{"", "events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
	}
}

// referenceDeployment runs `xbcheck gateway --in-cluster` unprivileged
// (the restricted Pod Security profile): its listeners take pod ports
// above 1024, the Services map the Gateways' ports to them.
func referenceDeployment(meta metav1.ObjectMeta, o ReferenceOptions) *appsv1.Deployment {
	no, one, grace := false, int32(1), int64(1)
	labels := map[string]string{appLabel: referenceName}
	args := []string{"gateway", "--in-cluster", "--controller-name", o.ControllerName}
	if o.Faults != "" {
		args = append(args, "--faults", o.Faults)
	}
	if o.ClusterDomain != "" {
		args = append(args, "--cluster-domain", strings.TrimSuffix(o.ClusterDomain, "."))
	}
	return &appsv1.Deployment{
		ObjectMeta: meta,
		Spec: appsv1.DeploymentSpec{
			Replicas: &one,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					ServiceAccountName:            referenceName,
					EnableServiceLinks:            &no,
					TerminationGracePeriodSeconds: &grace,
					SecurityContext:               restrictedPodSecurity(),
					Containers: []corev1.Container{{
						Name:                     "gateway",
						Image:                    o.Image,
						ImagePullPolicy:          corev1.PullIfNotPresent,
						TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
						Args:                     args,
						Env: []corev1.EnvVar{
							{Name: "POD_IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}},
							{Name: "SSL_CERT_FILE", Value: trustMountPath + "/" + trustFile},
						},
						VolumeMounts: []corev1.VolumeMount{
							{Name: "trust", MountPath: trustMountPath, ReadOnly: true},
							tmpMount(),
						},
						SecurityContext: restrictedContainerSecurity(),
					}},
					Volumes: []corev1.Volume{
						{Name: "trust", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: referenceName}}}},
						tmpVolume(),
					},
				},
			},
		},
	}
}
