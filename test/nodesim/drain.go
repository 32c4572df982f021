package nodesim

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/kubectl/pkg/drain"
)

// drainOptions are the kubectl drain options SUC put on the Job's drain container.
type drainOptions struct {
	podSelector    string
	force, noEvict bool
	timeout        time.Duration
	present        bool
}

// drainOf reads the arguments of the Job's "drain" init container, as SUC writes them:
// drain <node> --pod-selector <sel> [--ignore-daemonsets] [--force] [--timeout <d>] ...
func drainOf(job *batchv1.Job) drainOptions {
	var o drainOptions
	for _, c := range job.Spec.Template.Spec.InitContainers {
		if c.Name != "drain" {
			continue
		}
		o.present, o.podSelector, o.timeout = true, "", 0
		args := append(append([]string{}, c.Command...), c.Args...)
		for i := 0; i < len(args); i++ {
			next := func() string {
				if i+1 < len(args) {
					i++
					return args[i]
				}
				return ""
			}
			switch a := args[i]; {
			case a == "--pod-selector":
				o.podSelector = next()
			case a == "--force":
				o.force = true
			case a == "--timeout":
				o.timeout, _ = time.ParseDuration(next())
			case strings.HasPrefix(a, "--disable-eviction"):
				o.noEvict = a != "--disable-eviction=false"
			}
		}
	}
	return o
}

// drain is the Job's drain container: kubectl drain with the options SUC gave it, run
// through kubectl's own drain library against the apiserver, so evictions go through
// the eviction API and a PodDisruptionBudget refuses exactly when the real disruption
// controller's status says so. It returns "" when the node is drained, else what
// kubectl drain prints when it gives up (its errors and its final line).
func (s *Simulator) drain(ctx context.Context, node string, o drainOptions) string {
	var out bytes.Buffer
	timeout := o.timeout
	if timeout <= 0 {
		// kubectl's default is to wait forever (until the Job's deadline, minutes
		// away); the simulator gives up sooner.
		timeout = 5 * time.Second
	}
	h := &drain.Helper{
		Ctx: ctx, Client: s.kube,
		Force: o.force, IgnoreAllDaemonSets: true, DeleteEmptyDirData: true,
		GracePeriodSeconds: -1, Timeout: timeout, PodSelector: o.podSelector,
		DisableEviction: o.noEvict, Out: io.Discard, ErrOut: &out,
	}
	n, err := s.kube.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if err == nil {
		err = drain.RunCordonOrUncordon(h, n, true)
	}
	if err == nil {
		err = drain.RunNodeDrain(h, node)
	}
	if err == nil {
		return ""
	}
	fmt.Fprintf(&out, "error: unable to drain node %q due to error: %s, continuing command...", node, err)
	return strings.TrimSpace(out.String())
}
