package cluster

import (
	"encoding/json"

	corev1 "k8s.io/api/core/v1"
)

// RoleOf reads the role labels; K3s/RKE2 node-args annotations back them up for
// clusters where labels were edited. The legacy "master" label is never read.
func RoleOf(n *corev1.Node) Role {
	cp := hasRoleLabel(n.Labels, LabelControlPlane)
	etcd := hasRoleLabel(n.Labels, LabelEtcd)
	switch {
	case cp:
		return RoleServer
	case etcd:
		return RoleEtcd
	}
	for _, key := range []string{AnnotationK3sArgs, AnnotationRKEArgs} {
		if firstArg(n.Annotations[key]) == "server" {
			return RoleServer
		}
	}
	return RoleAgent
}

// hasRoleLabel accepts kubeadm's empty value and K3s's "true"; "false" means not set.
func hasRoleLabel(labels map[string]string, key string) bool {
	v, ok := labels[key]
	return ok && v != "false"
}

// firstArg reads the first element of a node-args annotation (a JSON array such as
// ["server","--cluster-init"]).
func firstArg(annotation string) string {
	if annotation == "" {
		return ""
	}
	var args []string
	if err := json.Unmarshal([]byte(annotation), &args); err != nil || len(args) == 0 {
		return ""
	}
	return args[0]
}

// Hostname is the node's kubernetes.io/hostname label, the name the
// system-upgrade-controller selects it by and lists in status.applying; the node's
// name when the label is missing.
func Hostname(n *corev1.Node) string {
	if h := n.Labels[LabelHostname]; h != "" {
		return h
	}
	return n.Name
}

// Ready reports the node's Ready condition.
func Ready(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// IsEtcdMember reports whether the node runs a member of the embedded etcd: K3s and
// RKE2 label every such server (etcd-only ones included) with the etcd role. A K3s
// server on SQLite or an external datastore has no such label.
func IsEtcdMember(labels map[string]string) bool { return hasRoleLabel(labels, LabelEtcd) }
