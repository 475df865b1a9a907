package incluster

import corev1 "k8s.io/api/core/v1"

// The pods xbcheck deploys (the fakes, the reference gateway) run under the
// restricted Pod Security profile, with a read-only root file system.

// restrictedPodSecurity runs a pod's containers as an unprivileged user
// under the runtime's seccomp profile.
func restrictedPodSecurity() *corev1.PodSecurityContext {
	yes, user := true, int64(65532)
	return &corev1.PodSecurityContext{
		RunAsNonRoot:   &yes,
		RunAsUser:      &user,
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

// restrictedContainerSecurity gives a container no capability, no way to
// gain privileges and a read-only root file system.
func restrictedContainerSecurity() *corev1.SecurityContext {
	no, yes := false, true
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: &no,
		ReadOnlyRootFilesystem:   &yes,
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
}

// The root file system is read-only; Go libraries write in /tmp, an empty
// folder of the pod's own: tmpMount in the container, tmpVolume in the pod.
func tmpMount() corev1.VolumeMount { return corev1.VolumeMount{Name: "tmp", MountPath: "/tmp"} }

func tmpVolume() corev1.Volume {
	return corev1.Volume{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}
}
