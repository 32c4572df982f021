package sandbox

import (
	"context"
	"fmt"
	"strings"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// The controllers the sandbox runs: what decides the statuses the plugin judges during an
// upgrade (Job conditions and deadlines, PodDisruptionBudget status, the garbage
// collection of SUC's Jobs and pods, the taints of a node whose Lease went stale,
// namespace deletion, finished Jobs' TTL) and the service accounts pods need. No
// Deployment, ReplicaSet or DaemonSet controller: the scenarios seed pods themselves.
var sandboxControllers = []string{
	"job", "disruption", "garbagecollector", "namespace", "nodelifecycle",
	"ttl-after-finished", "serviceaccount",
}

// Node health timing. The kubelet renews its Lease every 10 s and the controller marks a
// node after 40-50 s without one; the node simulator renews faster and the grace period
// is shorter, so a test sees a silent node marked in well under a minute, while a renewal
// interval capped for 5,000 nodes (nodesim) stays well inside it.
const (
	nodeMonitorPeriod      = 2 * time.Second
	nodeMonitorGracePeriod = 30 * time.Second
)

// componentUsers are the static identities of kube-controller-manager and kube-scheduler,
// with the names their default RBAC bindings (system:kube-controller-manager,
// system:kube-scheduler) grant. They get a kubeconfig each, not a context in the users'.
func componentUsers() []User {
	return []User{
		{Name: "system:kube-controller-manager", Context: "kube-controller-manager"},
		{Name: "system:kube-scheduler", Context: "kube-scheduler"},
	}
}

// startControllers runs kube-controller-manager and kube-scheduler against the apiserver.
func (sb *Sandbox) startControllers(ctx context.Context) error {
	kcmConfig, err := sb.componentKubeconfig("kube-controller-manager")
	if err != nil {
		return err
	}
	schedConfig, err := sb.componentKubeconfig("kube-scheduler")
	if err != nil {
		return err
	}
	kcmArgs := []string{
		"--kubeconfig=" + kcmConfig,
		"--controllers=" + strings.Join(sandboxControllers, ","),
		// Each controller acts as its own service account, with the roles the
		// apiserver bootstraps for it (system:controller:job-controller, ...).
		"--use-service-account-credentials=true",
		"--service-account-private-key-file=" + sb.pki.saPrivateFile,
		"--root-ca-file=" + sb.state.path("pki", "ca.crt"),
		"--leader-elect=false",
		"--secure-port=0",
		"--node-monitor-period=" + nodeMonitorPeriod.String(),
		"--node-monitor-grace-period=" + nodeMonitorGracePeriod.String(),
		// The controllers talk to one local apiserver: no client-side throttling.
		"--kube-api-qps=500", "--kube-api-burst=1000",
		"--v=1",
	}
	if sb.kcm, err = sb.startProcess("kube-controller-manager", sb.tools.ControllerManager, kcmArgs, nil, sb.state.path("logs", "kube-controller-manager.log")); err != nil {
		return err
	}
	schedArgs := []string{
		"--kubeconfig=" + schedConfig,
		"--leader-elect=false",
		"--secure-port=0",
		"--v=1",
	}
	if sb.scheduler, err = sb.startProcess("kube-scheduler", sb.tools.Scheduler, schedArgs, nil, sb.state.path("logs", "kube-scheduler.log")); err != nil {
		return err
	}
	// Neither serves a health endpoint here (--secure-port=0); a bad flag or a
	// refused identity ends the process within a second or two.
	select {
	case <-sb.kcm.done:
		return sb.kcm.failure("start kube-controller-manager")
	case <-sb.scheduler.done:
		return sb.scheduler.failure("start kube-scheduler")
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(2 * time.Second):
	}
	return nil
}

// componentKubeconfig writes the kubeconfig of one component's static identity.
func (sb *Sandbox) componentKubeconfig(component string) (string, error) {
	var token string
	for _, u := range sb.components {
		if u.Context == component {
			token = u.Token
		}
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["sandbox"] = &clientcmdapi.Cluster{Server: sb.Server, CertificateAuthorityData: sb.pki.caPEM}
	cfg.AuthInfos[component] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts[component] = &clientcmdapi.Context{Cluster: "sandbox", AuthInfo: component}
	cfg.CurrentContext = component
	path := sb.state.path(component + ".kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return "", fmt.Errorf("write %s kubeconfig: %w", component, err)
	}
	return path, nil
}
