package incluster

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/xbcheck/xbcheck/fakes/control"
)

// EndpointPods makes real pods for the scenarios of an EndpointSelector
// XBackend, where kubelets run pods: each a pod of xbcheck's own image
// running `xbcheck fakes`, with the labels the scenario gives and its
// control API on the pod's own address. The harness reaches that API
// through the API server's pod proxy (no Service: a scenario's namespace
// holds only what the implementation makes), starts the pod's fake
// upstream on the pod's address through it, and sets the readiness the
// pod's readinessProbe reads (GET /v1/readiness), so that the kubelet, not
// the harness, writes the pod's Ready condition.
type EndpointPods struct {
	cs      kubernetes.Interface
	host    string
	http    *http.Client
	image   string
	timeout time.Duration
}

// NewEndpointPods makes pods of image through cfg; each start and each
// change of readiness waits up to timeout.
func NewEndpointPods(cfg *rest.Config, image string, timeout time.Duration) (*EndpointPods, error) {
	if cfg == nil || image == "" {
		return nil, errors.New("incluster: endpoint pods need a cluster's config and xbcheck's image")
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	return &EndpointPods{cs: cs, host: strings.TrimSuffix(cfg.Host, "/"), http: hc, image: image, timeout: timeout}, nil
}

// Image is the image the pods run.
func (e *EndpointPods) Image() string { return e.image }

// EndpointPod is one running pod of EndpointPods.
type EndpointPod struct {
	Namespace, Name string
	// IP is the pod's address: its upstream listens there.
	IP netip.Addr
	// Fakes are the pod's own, through the pod proxy.
	Fakes control.Fakes

	remote *control.Remote
	pods   *EndpointPods
}

// Start creates the pod name in namespace with labels, not ready, and
// returns once its control API answers through the API server. A pod that
// cannot start is reported with the kubelet's reason; one that does not
// serve in time, with its state.
func (e *EndpointPods) Start(ctx context.Context, namespace, name string, labels map[string]string) (*EndpointPod, error) {
	pods := e.cs.CoreV1().Pods(namespace)
	if _, err := pods.Create(ctx, endpointPod(e.image, name, labels), metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("create pod %s/%s: %w", namespace, name, err)
	}
	remote := &control.Remote{
		URL:    fmt.Sprintf("%s/api/v1/namespaces/%s/pods/http:%s:%d/proxy", e.host, namespace, name, controlPort),
		Client: e.http,
	}
	p := &EndpointPod{Namespace: namespace, Name: name, Fakes: proxiedNames{remote}, remote: remote, pods: e}
	what := fmt.Sprintf("pod %s/%s", namespace, name)
	var last *corev1.Pod
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, e.timeout, true, func(ctx context.Context) (bool, error) {
		pod, err := pods.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		last = pod
		if err := cannotStart(pod, what); err != nil {
			return false, err
		}
		if p.IP, err = netip.ParseAddr(pod.Status.PodIP); err != nil {
			return false, nil
		}
		_, err = remote.Summary(ctx)
		return err == nil, nil
	})
	if err != nil && (ctx.Err() != nil || wait.Interrupted(err)) {
		err = fmt.Errorf("%s does not serve its control API through the API server's pod proxy within %s (%s); its log: kubectl logs -n %s %s", what, e.timeout, podState(last), namespace, name)
	}
	return p, err
}

// SetReady sets the readiness the pod's readinessProbe reads, and returns
// once the kubelet has written it into the pod's Ready condition.
func (p *EndpointPod) SetReady(ctx context.Context, ready bool) error {
	if err := p.remote.SetReadiness(ctx, ready); err != nil {
		return fmt.Errorf("set the readiness of pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	want := corev1.ConditionFalse
	if ready {
		want = corev1.ConditionTrue
	}
	pods := p.pods.cs.CoreV1().Pods(p.Namespace)
	var last *corev1.Pod
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, p.pods.timeout, true, func(ctx context.Context) (bool, error) {
		pod, err := pods.Get(ctx, p.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, fmt.Errorf("pod %s/%s is gone", p.Namespace, p.Name)
		}
		if err != nil {
			return false, nil
		}
		last = pod
		for _, c := range pod.Status.Conditions {
			if c.Type == corev1.PodReady {
				return c.Status == want, nil
			}
		}
		return false, nil
	})
	if err != nil && (ctx.Err() != nil || wait.Interrupted(err)) {
		err = fmt.Errorf("the kubelet did not set pod %s/%s Ready=%s within %s of its readiness probe's change (%s)", p.Namespace, p.Name, want, p.pods.timeout, podState(last))
	}
	return err
}

// endpointConfigAnnotation carries the pod's `xbcheck fakes` config, which
// a downward API volume gives the container as a file: no ConfigMap in a
// scenario's namespace.
const endpointConfigAnnotation = "xbcheck.dev/fakes-config"

// endpointPod is a pod running `xbcheck fakes` unprivileged, its control
// API on every address of the pod, Ready when the harness says.
func endpointPod(image, name string, labels map[string]string) *corev1.Pod {
	no, yes := false, true
	user := int64(65532)
	grace := int64(0)
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Labels: labels,
			Annotations: map[string]string{endpointConfigAnnotation: fmt.Sprintf("control:\n  addr: 0.0.0.0:%d\n", controlPort)},
		},
		Spec: corev1.PodSpec{
			AutomountServiceAccountToken:  &no,
			EnableServiceLinks:            &no,
			TerminationGracePeriodSeconds: &grace,
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   &yes,
				RunAsUser:      &user,
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Containers: []corev1.Container{{
				Name:                     "endpoint",
				Image:                    image,
				ImagePullPolicy:          corev1.PullIfNotPresent,
				TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
				Args:                     []string{"fakes", "--config", configPath, "--allow", "$(POD_IP)"},
				Env: []corev1.EnvVar{{Name: "POD_IP", ValueFrom: &corev1.EnvVarSource{
					FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"},
				}}},
				Ports: []corev1.ContainerPort{{Name: "control", ContainerPort: controlPort, Protocol: corev1.ProtocolTCP}},
				ReadinessProbe: &corev1.Probe{
					ProbeHandler:     corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/v1/readiness", Port: intstr.FromString("control")}},
					PeriodSeconds:    1,
					FailureThreshold: 1,
					SuccessThreshold: 1,
				},
				VolumeMounts: []corev1.VolumeMount{
					{Name: "config", MountPath: "/etc/xbcheck", ReadOnly: true},
					{Name: "tmp", MountPath: "/tmp"},
				},
				SecurityContext: &corev1.SecurityContext{
					AllowPrivilegeEscalation: &no,
					ReadOnlyRootFilesystem:   &yes,
					Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
				},
			}},
			Volumes: []corev1.Volume{
				{Name: "config", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{
					Items: []corev1.DownwardAPIVolumeFile{{
						Path:     "fakes.yaml",
						FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.annotations['" + endpointConfigAnnotation + "']"},
					}},
				}}},
				{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			},
		},
	}
}
