package incluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
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
	"github.com/xbcheck/xbcheck/fakes/probe"
)

// Options says where and how to deploy the fakes. Config, Image and
// Namespace are required.
type Options struct {
	// Config reaches the API server with the right to create a namespace
	// and, in it, a ConfigMap, a pod and Services.
	Config *rest.Config
	// Image is xbcheck's own image, present on the nodes or pullable by
	// them; its entrypoint is the xbcheck executable.
	Image string
	// Namespace is created for the fakes and deleted by Close; it must not
	// exist yet.
	Namespace string
	// Labels go on the namespace, so that `xbcheck clean` finds it after a
	// crash.
	Labels map[string]string
	// Zone is the rogue DNS server's zone; default "xbcheck.test.".
	Zone string
	// Internet is where upstreams are advertised; default 203.0.113.0/24.
	Internet netip.Prefix
	// Local starts the canaries at addresses neither the pod nor the canary
	// Service holds, when the harness hosts addresses pods reach; nil
	// refuses them.
	Local control.Fakes
	// Timeout bounds Deploy and each wait for a Service; default 2 minutes.
	Timeout time.Duration
	// Progress receives a line per step; nil discards them.
	Progress io.Writer
}

// Defaults of Options.
const (
	DefaultZone     = "xbcheck.test."
	DefaultInternet = "203.0.113.0/24"
)

// Names and ports of what Deploy creates.
const (
	podName        = "fakes"
	configMapName  = "fakes-config"
	fakesService   = "fakes"
	canaryService  = "canary"
	controlPort    = 8080
	dnsTargetPort  = 5353
	configPath     = "/etc/xbcheck/fakes.yaml"
	appLabel       = "app.kubernetes.io/name"
	appName        = "xbcheck-fakes"
	externalIPsCap = "DenyServiceExternalIPs"
)

// Deployment is the fakes running in the cluster.
type Deployment struct {
	// Fakes drives them; Prober sends requests from their pod.
	Fakes  *Fakes
	Prober *probe.Client
	// ControlURL is the control API through the API server's service
	// proxy, for clients made with HTTPClient.
	ControlURL string
	HTTPClient *http.Client
	// Namespace holds everything Deploy created.
	Namespace string
	// Pod is the fakes pod's address: a canary at a pod address. IPv6
	// says whether it has an IPv6 address too: whether pods can reach
	// IPv6 addresses at all.
	Pod  netip.Addr
	IPv6 bool
	// Service is the ClusterIP of the canary Service.
	Service netip.Addr
	// DNS is the rogue DNS server as pods reach it: its Service's
	// ClusterIP, port 53, UDP and TCP.
	DNS netip.AddrPort
	// Took is how long Deploy took, to a pod answering through the proxy.
	Took time.Duration

	cs      kubernetes.Interface
	timeout time.Duration
}

// Deploy creates the namespace, the fakes pod and its Services, and
// returns once the control API answers through the API server. On error
// it deletes what it created.
func Deploy(ctx context.Context, o Options) (_ *Deployment, err error) {
	start := time.Now()
	if o.Config == nil || o.Image == "" || o.Namespace == "" {
		return nil, errors.New("incluster: Options.Config, Image and Namespace are required")
	}
	if o.Zone == "" {
		o.Zone = DefaultZone
	}
	if !o.Internet.IsValid() {
		o.Internet = netip.MustParsePrefix(DefaultInternet)
	}
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Minute
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	cs, err := kubernetes.NewForConfig(o.Config)
	if err != nil {
		return nil, err
	}
	d := &Deployment{Namespace: o.Namespace, cs: cs, timeout: o.Timeout}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: o.Namespace, Labels: o.Labels}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("create namespace %s for the fakes: %w", o.Namespace, err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, d.Close(context.WithoutCancel(ctx)))
		}
	}()
	if err := d.checkExternalIPs(ctx, o.Internet); err != nil {
		return nil, err
	}
	if err := d.create(ctx, o); err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Progress, "fakes pod %s/%s starting from image %s\n", o.Namespace, podName, o.Image)
	if err := d.waitReady(ctx); err != nil {
		return nil, err
	}
	if d.HTTPClient, err = rest.HTTPClientFor(o.Config); err != nil {
		return nil, err
	}
	d.ControlURL = fmt.Sprintf("%s/api/v1/namespaces/%s/services/http:%s:control/proxy", strings.TrimSuffix(o.Config.Host, "/"), o.Namespace, fakesService)
	remote := &control.Remote{URL: d.ControlURL, Client: d.HTTPClient}
	d.Prober = &probe.Client{URL: d.ControlURL + "/v1/probe", HTTP: d.HTTPClient}
	// The pod is Ready; its endpoint reaches the proxy a moment later.
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, o.Timeout, true, func(ctx context.Context) (bool, error) {
		_, err := remote.Summary(ctx)
		return err == nil, nil
	})
	if err != nil {
		return nil, fmt.Errorf("the fakes pod %s/%s is Ready but its control API does not answer through the API server's service proxy (%s) within %s", o.Namespace, podName, d.ControlURL, o.Timeout)
	}
	d.Fakes = &Fakes{
		remote: proxiedNames{remote}, local: o.Local, prober: d.Prober,
		services: cs.CoreV1().Services(o.Namespace), selector: podLabels(),
		pod: d.Pod, service: d.Service, internet: control.Internet{Prefix: o.Internet.Masked()}, timeout: o.Timeout,
		upstreams: map[string]advertised{}, canaries: map[string]placed{},
	}
	d.Took = time.Since(start)
	fmt.Fprintf(o.Progress, "fakes pod %s at %s ready in %s: DNS at %s, canary Service at %s\n", o.Namespace, d.Pod, d.Took.Round(time.Millisecond), d.DNS, d.Service)
	return d, nil
}

// Close deletes the namespace, and with it everything Deploy and Fakes
// created, and waits until it is gone. It is safe to call more than once.
func (d *Deployment) Close(ctx context.Context) error {
	if d == nil || d.cs == nil {
		return nil
	}
	cs := d.cs
	d.cs = nil
	namespaces := cs.CoreV1().Namespaces()
	err := namespaces.Delete(ctx, d.Namespace, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete namespace %s of the fakes: %w; `xbcheck clean` removes it", d.Namespace, err)
	}
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, d.timeout, true, func(ctx context.Context) (bool, error) {
		_, err := namespaces.Get(ctx, d.Namespace, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		return fmt.Errorf("namespace %s of the fakes still exists %s after its deletion; `xbcheck clean` removes it", d.Namespace, d.timeout)
	}
	return nil
}

// checkExternalIPs creates and deletes a Service with an address of the
// simulated internet in spec.externalIPs: the one thing of the cluster an
// admission policy may refuse, found before anything else is created.
func (d *Deployment) checkExternalIPs(ctx context.Context, internet netip.Prefix) error {
	last := (&control.Internet{Prefix: internet.Masked()}).Last()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "externalips-check"},
		Spec: corev1.ServiceSpec{
			Selector:    podLabels(),
			ExternalIPs: []string{last.String()},
			Ports:       []corev1.ServicePort{{Name: "check", Port: 9, Protocol: corev1.ProtocolTCP}},
		},
	}
	services := d.cs.CoreV1().Services(d.Namespace)
	if _, err := services.Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		if apierrors.IsForbidden(err) || apierrors.IsInvalid(err) {
			return fmt.Errorf("the cluster refuses Services with spec.externalIPs (%s: is the %s admission plugin on?); xbcheck advertises its upstreams at %s through them: allow externalIPs on this test cluster, or run with --provider node or kind", oneLine(err), externalIPsCap, internet)
		}
		return fmt.Errorf("create Service %s/%s: %w", d.Namespace, svc.Name, err)
	}
	return services.Delete(ctx, svc.Name, metav1.DeleteOptions{})
}

// create writes the fakes' config, their pod and their Services.
func (d *Deployment) create(ctx context.Context, o Options) error {
	core := d.cs.CoreV1()
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: configMapName},
		Data:       map[string]string{"fakes.yaml": fakesConfig(o.Zone, o.Internet)},
	}
	if _, err := core.ConfigMaps(o.Namespace).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create the fakes' ConfigMap: %w", err)
	}
	if _, err := core.Pods(o.Namespace).Create(ctx, fakesPod(o.Image), metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create the fakes pod: %w", err)
	}
	for _, svc := range []*corev1.Service{controlAndDNSService(), canaryPlaceholderService()} {
		created, err := core.Services(o.Namespace).Create(ctx, svc, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("create Service %s/%s: %w", o.Namespace, svc.Name, err)
		}
		ip, err := netip.ParseAddr(created.Spec.ClusterIP)
		if err != nil {
			return fmt.Errorf("Service %s/%s has no ClusterIP (%q): the fakes need one", o.Namespace, svc.Name, created.Spec.ClusterIP)
		}
		switch svc.Name {
		case fakesService:
			d.DNS = netip.AddrPortFrom(ip, 53)
		case canaryService:
			d.Service = ip
		}
	}
	return nil
}

// waitReady waits for the fakes pod to be Ready and learns its addresses.
func (d *Deployment) waitReady(ctx context.Context) error {
	pod, err := waitPod(ctx, d.cs, d.Namespace, appLabel+"="+appName, "the fakes pod", d.timeout)
	if err != nil {
		return err
	}
	if d.Pod, err = netip.ParseAddr(pod.Status.PodIP); err != nil {
		return fmt.Errorf("the fakes pod is Ready without an address (%q)", pod.Status.PodIP)
	}
	for _, ip := range pod.Status.PodIPs {
		if a, err := netip.ParseAddr(ip.IP); err == nil && a.Is6() && !a.Is4In6() {
			d.IPv6 = true
		}
	}
	return nil
}

// waitPod waits for the pod the selector finds to be Ready; a pod that
// cannot start is reported at once with the reason the kubelet gives.
func waitPod(ctx context.Context, cs kubernetes.Interface, namespace, selector, what string, timeout time.Duration) (*corev1.Pod, error) {
	pods := cs.CoreV1().Pods(namespace)
	var last *corev1.Pod
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		list, err := pods.List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil || len(list.Items) == 0 {
			return false, nil
		}
		pod := &list.Items[0]
		last = pod
		if err := cannotStart(pod, what); err != nil {
			return false, err
		}
		for _, c := range pod.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	})
	if err == nil {
		return last, nil
	}
	if ctx.Err() == nil && !wait.Interrupted(err) {
		return nil, err
	}
	name := "(none yet)"
	if last != nil {
		name = last.Name
	}
	return nil, fmt.Errorf("%s %s/%s is not Ready within %s (%s); its log: kubectl logs -n %s %s", what, namespace, name, timeout, podState(last), namespace, name)
}

// cannotStart says why pod can never start, in the kubelet's words (its
// image cannot be had, it exits again and again), or nil.
func cannotStart(pod *corev1.Pod, what string) error {
	for _, c := range pod.Status.ContainerStatuses {
		w := c.State.Waiting
		switch {
		case w == nil:
		case w.Reason == "ErrImageNeverPull" || w.Reason == "InvalidImageName" || w.Reason == "ErrImagePull" || w.Reason == "ImagePullBackOff":
			return fmt.Errorf("%s cannot get image %s: %s: %s; load it into the nodes (--provider node and kind do) or give a pullable one", what, c.Image, w.Reason, w.Message)
		case w.Reason == "CrashLoopBackOff" && c.LastTerminationState.Terminated != nil:
			t := c.LastTerminationState.Terminated
			return fmt.Errorf("%s exits (code %d): %s", what, t.ExitCode, strings.Join(strings.Fields(t.Message), " "))
		}
	}
	return nil
}

// podState says in a few words why a pod is not Ready.
func podState(p *corev1.Pod) string {
	if p == nil {
		return "not created"
	}
	var why []string
	for _, c := range p.Status.ContainerStatuses {
		switch {
		case c.State.Waiting != nil:
			why = append(why, c.State.Waiting.Reason+": "+c.State.Waiting.Message)
		case c.State.Terminated != nil:
			why = append(why, fmt.Sprintf("exited %d: %s", c.State.Terminated.ExitCode, c.State.Terminated.Message))
		}
	}
	for _, c := range p.Status.Conditions {
		if c.Status != corev1.ConditionTrue && c.Message != "" {
			why = append(why, c.Message)
		}
	}
	if len(why) == 0 {
		return "phase " + string(p.Status.Phase)
	}
	return strings.Join(why, "; ")
}

// fakesConfig is the `xbcheck fakes` config of the pod: every fake on all
// of the pod's addresses.
func fakesConfig(zone string, internet netip.Prefix) string {
	return fmt.Sprintf("control:\n  addr: 0.0.0.0:%d\ndns:\n  zone: %s\n  addr: 0.0.0.0:%d\ninternet: %s\n", controlPort, zone, dnsTargetPort, internet)
}

func podLabels() map[string]string { return map[string]string{appLabel: appName} }

// fakesPod runs `xbcheck fakes` unprivileged (the restricted Pod Security
// profile), allowed to bind low ports in its own network namespace
// (a safe sysctl), as canaries at well-known ports need.
func fakesPod(image string) *corev1.Pod {
	no, grace := false, int64(1)
	security := restrictedPodSecurity()
	security.Sysctls = []corev1.Sysctl{{Name: "net.ipv4.ip_unprivileged_port_start", Value: "0"}}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: podName, Labels: podLabels()},
		Spec: corev1.PodSpec{
			AutomountServiceAccountToken:  &no,
			EnableServiceLinks:            &no,
			TerminationGracePeriodSeconds: &grace,
			SecurityContext:               security,
			Containers: []corev1.Container{{
				Name:            "fakes",
				Image:           image,
				ImagePullPolicy: corev1.PullIfNotPresent,
				// An exit's last log lines become its message, for the error.
				TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
				Args:                     []string{"fakes", "--config", configPath, "--allow", "$(POD_IP)"},
				Env: []corev1.EnvVar{{Name: "POD_IP", ValueFrom: &corev1.EnvVarSource{
					FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"},
				}}},
				Ports: []corev1.ContainerPort{
					{Name: "control", ContainerPort: controlPort, Protocol: corev1.ProtocolTCP},
					{Name: "dns", ContainerPort: dnsTargetPort, Protocol: corev1.ProtocolUDP},
					{Name: "dns-tcp", ContainerPort: dnsTargetPort, Protocol: corev1.ProtocolTCP},
				},
				ReadinessProbe: &corev1.Probe{
					ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/v1/summary", Port: intstr.FromString("control")}},
					PeriodSeconds: 1,
				},
				VolumeMounts: []corev1.VolumeMount{
					{Name: "config", MountPath: "/etc/xbcheck", ReadOnly: true},
					tmpMount(),
				},
				SecurityContext: restrictedContainerSecurity(),
			}},
			Volumes: []corev1.Volume{
				{Name: "config", VolumeSource: corev1.VolumeSource{
					ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: configMapName}},
				}},
				tmpVolume(),
			},
		},
	}
}

// controlAndDNSService fronts the control API (for the service proxy) and
// the rogue DNS server (for the cluster's DNS, on the usual port).
func controlAndDNSService() *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: fakesService},
		Spec: corev1.ServiceSpec{
			Selector: podLabels(),
			Ports: []corev1.ServicePort{
				{Name: "control", Port: controlPort, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromString("control")},
				{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromString("dns")},
				{Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromString("dns-tcp")},
			},
		},
	}
}

// canaryPlaceholderService is the canary Service before any canary: a
// Service needs a port, and nothing listens on this one.
func canaryPlaceholderService() *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: canaryService},
		Spec: corev1.ServiceSpec{
			Selector: podLabels(),
			Ports:    []corev1.ServicePort{{Name: placeholderPort, Port: 9, Protocol: corev1.ProtocolTCP}},
		},
	}
}

const placeholderPort = "placeholder"

// oneLine is err's message on one line.
func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

// SaveLogs writes the log of every container of the namespace's pods
// (the fakes, the reference gateway) into dir, one file per container,
// and returns the files written.
func (d *Deployment) SaveLogs(ctx context.Context, dir string) ([]string, error) {
	if d == nil || d.cs == nil {
		return nil, nil
	}
	pods, err := d.cs.CoreV1().Pods(d.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list the pods of %s for their logs: %w", d.Namespace, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var written []string
	var errs []error
	for _, p := range pods.Items {
		for _, c := range p.Spec.Containers {
			data, err := d.cs.CoreV1().Pods(d.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{Container: c.Name}).DoRaw(ctx)
			if err != nil {
				errs = append(errs, fmt.Errorf("log of %s/%s: %w", p.Name, c.Name, err))
				continue
			}
			path := filepath.Join(dir, p.Name+"-"+c.Name+".log")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				errs = append(errs, err)
				continue
			}
			written = append(written, path)
		}
	}
	return written, errors.Join(errs...)
}
