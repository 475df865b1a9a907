package dataplane

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

// ContainerPrefix begins the name of every ephemeral container xbcheck
// adds; the run's id follows.
const ContainerPrefix = "xbcheck-canary-"

// IdleExit is how long the ephemeral container's fakes live without a
// request: the run keeps them busy, so they end soon after it, also after
// a crash or Ctrl-C.
const IdleExit = 5 * time.Minute

// containerName is the ephemeral container of run runID.
func containerName(runID string) string { return ContainerPrefix + runID }

// canaryContainer is the ephemeral container that runs xbcheck's fakes,
// with no fake but the control API on the pod's address, so the API
// server's pod proxy reaches it; canaries start through it on the pod's
// loopback. It runs unprivileged (the restricted Pod Security profile):
// the ports canaries take are free ones above 1024.
func canaryContainer(name, image, podIP string) corev1.EphemeralContainer {
	no, yes := false, true
	user := int64(65532)
	return corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
		Name:            name,
		Image:           image,
		ImagePullPolicy: corev1.PullIfNotPresent,
		Args: []string{"fakes", "--control-addr", net.JoinHostPort(podIP, "0"),
			"--exit-when-idle", IdleExit.String()},
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
		SecurityContext: &corev1.SecurityContext{
			RunAsNonRoot:             &yes,
			RunAsUser:                &user,
			AllowPrivilegeEscalation: &no,
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
	}}
}

// addContainer adds the canary container to the pod through its
// ephemeralcontainers subresource, unless the pod has it already (a second
// Gateway the same pod serves).
func addContainer(ctx context.Context, cs kubernetes.Interface, pod *corev1.Pod, name, image string) (added bool, err error) {
	if pod.Spec.HostNetwork {
		return false, fmt.Errorf("pod %s/%s runs in the node's network namespace (hostNetwork): its loopback is the node's, where xbcheck places no canary", pod.Namespace, pod.Name)
	}
	for _, c := range pod.Spec.EphemeralContainers {
		if c.Name == name {
			return false, nil
		}
	}
	changed := pod.DeepCopy()
	changed.Spec.EphemeralContainers = append(changed.Spec.EphemeralContainers, canaryContainer(name, image, pod.Status.PodIP))
	if _, err := cs.CoreV1().Pods(pod.Namespace).UpdateEphemeralContainers(ctx, pod.Name, changed, metav1.UpdateOptions{}); err != nil {
		return false, fmt.Errorf("add ephemeral container %s to pod %s/%s (pods/ephemeralcontainers): %w", name, pod.Namespace, pod.Name, err)
	}
	return true, nil
}

// awaitControl waits for the container to run and returns the port its
// control API listens on, from the first line of its log
// ("control-api http://HOST:PORT").
func awaitControl(ctx context.Context, cs kubernetes.Interface, namespace, pod, name string, timeout time.Duration) (string, error) {
	var port, state string
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		p, err := cs.CoreV1().Pods(namespace).Get(ctx, pod, metav1.GetOptions{})
		if err != nil {
			return false, fmt.Errorf("read pod %s/%s: %w", namespace, pod, err)
		}
		for _, st := range p.Status.EphemeralContainerStatuses {
			if st.Name != name {
				continue
			}
			switch s := st.State; {
			case s.Terminated != nil:
				return false, fmt.Errorf("ephemeral container %s of pod %s/%s exited (code %d): %s", name, namespace, pod, s.Terminated.ExitCode, strings.Join(strings.Fields(s.Terminated.Message), " "))
			case s.Waiting != nil:
				state = s.Waiting.Reason + " " + s.Waiting.Message
				if r := s.Waiting.Reason; r == "ErrImageNeverPull" || r == "InvalidImageName" || r == "ImagePullBackOff" || r == "ErrImagePull" {
					return false, fmt.Errorf("ephemeral container %s of pod %s/%s cannot get image %s: %s", name, namespace, pod, st.Image, state)
				}
				return false, nil
			case s.Running == nil:
				return false, nil
			}
		}
		log, err := cs.CoreV1().Pods(namespace).GetLogs(pod, &corev1.PodLogOptions{Container: name}).DoRaw(ctx)
		if err != nil {
			state = "running, log unreadable: " + err.Error()
			return false, nil
		}
		port = controlPort(log)
		return port != "", nil
	})
	if err != nil {
		return "", fmt.Errorf("ephemeral container %s of pod %s/%s: %w (last seen: %s)", name, namespace, pod, err, strings.TrimSpace(state))
	}
	return port, nil
}

// controlPort reads the port of `xbcheck fakes`'s first line, or "".
func controlPort(log []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(log))
	if !sc.Scan() {
		return ""
	}
	url, ok := strings.CutPrefix(sc.Text(), "control-api http://")
	if !ok {
		return ""
	}
	_, port, err := net.SplitHostPort(url)
	if err != nil {
		return ""
	}
	return port
}
