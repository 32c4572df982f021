package preflight

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
)

// DrainProblem is one thing that would stop or hurt a drain.
type DrainProblem struct {
	Kind DrainProblemKind
	// Result is fail, warn or pass (pass: worth knowing, harmless).
	Result  Result
	Node    string
	Pod     string // namespace/name
	PDB     string // namespace/name, for DrainPDB
	Message string
}

// DrainProblemKind names what a DrainProblem is about.
type DrainProblemKind string

const (
	DrainPDB       DrainProblemKind = "pdb"
	DrainUnmanaged DrainProblemKind = "unmanaged"
	DrainEmptyDir  DrainProblemKind = "emptydir"
	DrainLocalPV   DrainProblemKind = "local-volume"
	DrainOutage    DrainProblemKind = "outage"
	DrainGrace     DrainProblemKind = "grace-period"
)

// DrainProblems judges what draining the nodes in drained would meet, as kubectl
// drain does it with d: pods of DaemonSets, mirror pods, finished pods and pods the
// pod selector leaves out are not touched. concurrency is how many nodes drain at once.
func DrainProblems(df DrainFacts, drained map[string]bool, d suc.Drain, concurrency int) []DrainProblem {
	sel := labels.Everything()
	if ls, err := d.Selector(); err == nil && ls != nil {
		if s, err := metav1.LabelSelectorAsSelector(ls); err == nil {
			sel = s
		}
	}
	var out []DrainProblem
	for i := range df.Pods {
		p := &df.Pods[i]
		if !drained[p.Spec.NodeName] || !evicted(p) || !sel.Matches(labels.Set(p.Labels)) {
			continue
		}
		name := p.Namespace + "/" + p.Name
		add := func(k DrainProblemKind, r Result, pdb, msg string) {
			out = append(out, DrainProblem{Kind: k, Result: r, Node: p.Spec.NodeName, Pod: name, PDB: pdb, Message: msg})
		}
		for _, pdb := range blockingPDBs(df, p) {
			if d.DisableEviction {
				add(DrainPDB, Warn, pdb, fmt.Sprintf("PodDisruptionBudget %s allows no disruption of pod %s on %s; --drain-disable-eviction deletes the pod anyway", pdb, name, p.Spec.NodeName))
			} else {
				add(DrainPDB, Fail, pdb, fmt.Sprintf("PodDisruptionBudget %s allows no disruption of pod %s on %s: the drain would retry its eviction until --drain-timeout (%s), then the Job fails", pdb, name, p.Spec.NodeName, d.Timeout))
			}
		}
		if controllerOf(p) == nil {
			if d.Force {
				add(DrainUnmanaged, Warn, "", fmt.Sprintf("pod %s on %s has no controller: --drain-force deletes it for good", name, p.Spec.NodeName))
			} else {
				add(DrainUnmanaged, Fail, "", fmt.Sprintf("pod %s on %s has no controller: the drain refuses to delete it without --drain-force", name, p.Spec.NodeName))
			}
		}
		for _, v := range p.Spec.Volumes {
			if v.EmptyDir != nil {
				add(DrainEmptyDir, Pass, "", fmt.Sprintf("pod %s on %s loses its emptyDir %s", name, p.Spec.NodeName, v.Name))
				break
			}
		}
		for _, c := range claimsOf(p) {
			if df.LocalVolumes[c] {
				add(DrainLocalPV, Warn, "", fmt.Sprintf("pod %s on %s uses claim %s on a node-local volume: it cannot move and waits for the node", name, p.Spec.NodeName, c))
			}
		}
		if grace := graceOf(p, d); grace > int64(d.Timeout.Seconds()) {
			add(DrainGrace, Warn, "", fmt.Sprintf("pod %s on %s may take %ds to stop, longer than --drain-timeout (%s)", name, p.Spec.NodeName, grace, d.Timeout))
		}
	}
	return append(out, outages(df, drained, sel, concurrency)...)
}

// evicted reports whether a drain evicts the pod: not a DaemonSet's, not a mirror of
// a static pod, not finished, not already going.
func evicted(p *corev1.Pod) bool {
	if _, mirror := p.Annotations[corev1.MirrorPodAnnotationKey]; mirror || p.DeletionTimestamp != nil {
		return false
	}
	if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return false
	}
	if c := controllerOf(p); c != nil && c.Kind == "DaemonSet" {
		return false
	}
	return true
}

func controllerOf(p *corev1.Pod) *metav1.OwnerReference {
	return metav1.GetControllerOf(p)
}

// blockingPDBs are the budgets in the pod's namespace that select it and that the
// eviction API would hold against it: no disruption allowed, or a status the
// disruption controller has not computed for the budget's current generation.
func blockingPDBs(df DrainFacts, p *corev1.Pod) []string {
	var out []string
	for i := range df.PDBs {
		b := &df.PDBs[i]
		computed := b.Status.ObservedGeneration >= b.Generation && b.Status.ObservedGeneration > 0
		if b.Namespace != p.Namespace || b.Spec.Selector == nil || (computed && b.Status.DisruptionsAllowed > 0) {
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(b.Spec.Selector)
		if err == nil && sel.Matches(labels.Set(p.Labels)) {
			out = append(out, b.Namespace+"/"+b.Name)
		}
	}
	return out
}

func graceOf(p *corev1.Pod, d suc.Drain) int64 {
	if d.GracePeriod >= 0 {
		return int64(d.GracePeriod)
	}
	if p.Spec.TerminationGracePeriodSeconds != nil {
		return *p.Spec.TerminationGracePeriodSeconds
	}
	return corev1.DefaultTerminationGracePeriodSeconds
}

// outages are the workloads whose ready replicas all sit on drained nodes that can be
// drained at the same time (no more nodes than the concurrency).
func outages(df DrainFacts, drained map[string]bool, sel labels.Selector, concurrency int) []DrainProblem {
	type workload struct {
		name           string
		nodes          map[string]bool
		ready, onNodes int
	}
	byOwner := map[string]*workload{}
	for i := range df.Pods {
		p := &df.Pods[i]
		c := controllerOf(p)
		if c == nil || c.Kind == "DaemonSet" || !ready(p) {
			continue
		}
		w := byOwner[string(c.UID)]
		if w == nil {
			w = &workload{name: fmt.Sprintf("%s %s/%s", c.Kind, p.Namespace, c.Name), nodes: map[string]bool{}}
			byOwner[string(c.UID)] = w
		}
		w.ready++
		if drained[p.Spec.NodeName] && evicted(p) && sel.Matches(labels.Set(p.Labels)) {
			w.onNodes++
			w.nodes[p.Spec.NodeName] = true
		}
	}
	var out []DrainProblem
	for _, w := range byOwner {
		if w.ready > 0 && w.onNodes == w.ready && len(w.nodes) <= max(concurrency, 1) {
			nodes := make([]string, 0, len(w.nodes))
			for n := range w.nodes {
				nodes = append(nodes, n)
			}
			sort.Strings(nodes)
			out = append(out, DrainProblem{Kind: DrainOutage, Result: Warn, Node: strings.Join(nodes, ","),
				Message: fmt.Sprintf("%s has all its %s on %s, drained at the same time: an outage while they restart elsewhere", w.name, text.Plural(w.ready, "ready replica"), strings.Join(nodes, ", "))})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Message < out[j].Message })
	return out
}

func ready(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// checkDrain judges the drains the run will do; --strict makes its warnings failures.
func checkDrain(v verdicts, f *Facts, o Options) {
	drained := DrainedNodes(f.Path)
	if len(drained) == 0 {
		v.add(CheckDrain, Pass, "no node is drained: no agent crosses a minor", "")
		return
	}
	df := f.Drain
	switch {
	case df.PodsErr != nil:
		v.add(CheckDrain, Skipped, "cannot list pods: "+reason(df.PodsErr)+"; what would block a drain is unknown", "ask for list on pods cluster-wide")
		return
	case df.PDBsErr != nil:
		v.add(CheckDrain, Skipped, "cannot list poddisruptionbudgets: "+reason(df.PDBsErr)+"; what would block a drain is unknown", "ask for list on poddisruptionbudgets.policy cluster-wide")
		return
	}
	problems := DrainProblems(df, drained, o.Drain, int(o.AgentConcurrency))
	var fails, warns, infos []string
	for _, p := range problems {
		switch p.Result {
		case Fail:
			fails = append(fails, p.Message)
		case Warn:
			warns = append(warns, p.Message)
		default:
			infos = append(infos, p.Message)
		}
	}
	if df.VolumesErr != nil {
		warns = append(warns, "cannot read persistentvolumes ("+reason(df.VolumesErr)+"): pods on node-local volumes are not known")
	}
	scope := fmt.Sprintf("%s drained", text.Plural(len(drained), "node"))
	fix := "raise the budget or scale the workload so that one replica may go (or --drain-disable-eviction, which bypasses budgets); give controllerless pods a controller, delete them, or pass --drain-force; move node-local data first"
	switch {
	case len(fails) > 0:
		v.add(CheckDrain, Fail, scope+": "+text.Sample(append(fails, warns...), 6), fix)
	case len(warns) > 0 && o.Strict:
		v.add(CheckDrain, Fail, scope+": "+text.Sample(warns, 6)+"; --strict makes warnings failures", fix)
	case len(warns) > 0:
		v.add(CheckDrain, Warn, scope+": "+text.Sample(warns, 6), fix)
	case len(infos) > 0:
		v.add(CheckDrain, Pass, scope+"; worth knowing: "+text.Sample(infos, 4), "")
	default:
		v.add(CheckDrain, Pass, scope+": no budget, controllerless pod or local volume stands in the way", "")
	}
}
