package abort_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/test/clitest"
)

func TestAbortBadFlags(t *testing.T) {
	sc := clitest.K3sCluster("v1.30.14+k3s1", 1, 1)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"abort", "--rancher-cluster", "c-m-x", "--yes"}, "is not one"},
		{[]string{"abort", "--timeout", "0s"}, "--timeout 0s: must be positive"},
		{[]string{"abort", "--rancher-cluster", "a/b/c"}, "use NAMESPACE/NAME"},
	} {
		r := clitest.Run(t, sc, tc.args...)
		if r.Code != cmdutil.ExitError || !strings.Contains(r.Stderr, tc.want) || strings.Count(strings.TrimSpace(r.Stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want 1 and one line with %q", tc.args, r.Code, r.Stderr, tc.want)
		}
	}
}

func TestAbortNothingToAbort(t *testing.T) {
	for _, args := range [][]string{{"abort", "--yes"}, {"abort", "--dry-run"}} {
		c := clitest.NewSUCCluster(t, clitest.K3sHA())
		r := c.Run(t, args...)
		if r.Code != cmdutil.ExitOK || r.Stdout != "Nothing to abort: no Plan of kubectl skew in namespace system-upgrade.\n" || r.Stderr != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, r.Code, r.Stdout, r.Stderr)
		}
		if w := c.Writes(); len(w) != 0 {
			t.Errorf("%v wrote: %v", args, w)
		}
	}
}

// TestAbortDryRunGolden: the dry run says what abort would do on a cluster in hop 2
// of 3 (s-2 upgrading, or its Job failed) and writes nothing.
//
// TestAbortDryRunGolden: with s-2\'s Job failed (the controller keeps s-2 in the
// Plan\'s status.applying), s-2 is left cordoned, not waited for.
func TestAbortDryRunGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		failed bool
	}{{"dry-run-k3s-hop2.txt", false}, {"dry-run-k3s-hop2-failed.txt", true}} {
		t.Run(tc.golden, func(t *testing.T) {
			c := clitest.K3sHop2(t, tc.failed)
			r := c.Run(t, "abort", "--dry-run")
			if r.Code != cmdutil.ExitOK || r.Stderr != "" {
				t.Fatalf("exit %d, stderr %q", r.Code, r.Stderr)
			}
			clitest.Golden(t, tc.golden, r.Stdout)
			if w := c.Writes(); len(w) != 0 {
				t.Errorf("a dry run wrote: %v", w)
			}
		})
	}
}

func TestAbortWithoutYesOffTerminalRefuses(t *testing.T) {
	c := clitest.K3sHop2(t, false)
	r := c.Run(t, "abort")
	if r.Code != cmdutil.ExitError || r.Stderr != "error: refusing to change the cluster without confirmation: stdin is not a terminal; pass --yes to abort, or --dry-run to see what abort would do\n" {
		t.Fatalf("exit %d, stderr %q", r.Code, r.Stderr)
	}
	if !strings.Contains(r.Stdout, "Our Plans (would delete): ") {
		t.Errorf("what abort would do is shown before the question:\n%s", r.Stdout)
	}
	if w := c.Writes(); len(w) != 0 {
		t.Errorf("an unconfirmed abort wrote: %v", w)
	}
}

// finishNarrowedJobs stands in for the controller: once abort narrowed plan (our
// aborting mark is in its selector), the Job of node on it completes.
func finishNarrowedJobs(t *testing.T, c *clitest.SUCCluster, plan, node string) {
	jobs := schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}
	c.Kube.PrependReactor("list", "jobs", func(k8stesting.Action) (bool, runtime.Object, error) {
		p, err := c.Dyn.Tracker().Get(suc.PlanResource, suc.DefaultNamespace, plan)
		if err != nil {
			return false, nil, nil
		}
		var got upgradev1.Plan
		u, ok := p.(*unstructured.Unstructured)
		if !ok || runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &got) != nil || suc.AbortingSince(&got) == "" {
			return false, nil, nil
		}
		name := clitest.JobSpec{Plan: plan, Node: node}.Object().Name
		o, err := c.Kube.Tracker().Get(jobs, suc.DefaultNamespace, name)
		if err != nil {
			t.Errorf("the Job of %s on %s: %v", plan, node, err)
			return false, nil, nil
		}
		j := o.(*batchv1.Job)
		if len(j.Status.Conditions) == 0 {
			j.Status.Active, j.Status.Succeeded = 0, 1
			j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}}
			if err := c.Kube.Tracker().Update(jobs, j, suc.DefaultNamespace); err != nil {
				t.Error(err)
			}
		}
		return false, nil, nil
	})
}

// TestAbortNarrowsThenDeletes: abort deletes the Plans that upgrade no node, narrows
// hop 2's server Plan to s-2 (marked aborting), waits for s-2's Job, deletes that
// Plan, and uncordons s-2; a-2, cordoned before the run, stays cordoned.
//
// TestAbortNarrowsThenDeletes: the Plans that upgrade no node are deleted at once
// (and said so once); the one in flight is narrowed, then deleted.
func TestAbortNarrowsThenDeletes(t *testing.T) {
	c := clitest.K3sHop2(t, false)
	hop2 := clitest.PlanName(suc.RoleServer, "v1.32.9+k3s1")
	finishNarrowedJobs(t, c, hop2, "s-2")
	r := c.Run(t, "abort", "--yes")
	if r.Code != cmdutil.ExitOK || r.Stderr != "" {
		t.Fatalf("exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	clitest.Golden(t, "abort-k3s-hop2.txt", r.Stdout)
	// The Plans through the dynamic client, in order; the uncordon through the clientset.
	wantDyn := []string{
		"delete plans " + clitest.PlanName(suc.RoleAgent, "v1.31.13+k3s1"),
		"delete plans " + clitest.PlanName(suc.RoleServer, "v1.31.13+k3s1"),
		"patch plans " + hop2,
		"delete plans " + hop2,
	}
	if got := writes(c.Dyn.Actions()); strings.Join(got, "\n") != strings.Join(wantDyn, "\n") {
		t.Errorf("writes of Plans:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantDyn, "\n"))
	}
	if got := writes(c.Kube.Actions()); strings.Join(got, "\n") != "patch nodes s-2" {
		t.Errorf("writes through the clientset: %q, want the uncordon of s-2 only", got)
	}
	for _, a := range c.WriteActions() {
		pa, ok := a.(k8stesting.PatchAction)
		if !ok {
			continue
		}
		switch a.GetResource().Resource {
		case "plans":
			// The narrowing: server-side apply of the whole Plan, hostnames cut to s-2.
			var p struct {
				Metadata struct{ Annotations map[string]string }
				Spec     struct {
					NodeSelector struct {
						MatchExpressions []struct {
							Key    string
							Values []string
						}
					}
				}
			}
			if err := json.Unmarshal(pa.GetPatch(), &p); err != nil {
				t.Fatal(err)
			}
			marked := false
			for _, e := range p.Spec.NodeSelector.MatchExpressions {
				marked = marked || e.Key == suc.KeyAborting
			}
			if pa.GetPatchType() != types.ApplyPatchType || !marked || p.Metadata.Annotations[suc.KeyAborting] != "" {
				t.Errorf("the narrowing is an apply marked aborting in its selector, not in an annotation (which SUC copies into its Jobs): %s %s", pa.GetPatchType(), pa.GetPatch())
			}
			for _, e := range p.Spec.NodeSelector.MatchExpressions {
				if e.Key == "kubernetes.io/hostname" && strings.Join(e.Values, ",") != "s-2" {
					t.Errorf("narrowed to %v, want [s-2]", e.Values)
				}
			}
		case "nodes":
			if string(pa.GetPatch()) != `{"spec":{"unschedulable":false}}` {
				t.Errorf("uncordon patch %s", pa.GetPatch())
			}
		}
	}
	if l, err := c.Dyn.Resource(suc.PlanResource).Namespace(suc.DefaultNamespace).List(t.Context(), metav1.ListOptions{}); err != nil || len(l.Items) != 0 {
		t.Errorf("Plans left: %v %v", l, err)
	}
	for node, cordoned := range map[string]bool{"s-2": false, "a-2": true} {
		n, err := c.Kube.CoreV1().Nodes().Get(t.Context(), node, metav1.GetOptions{})
		if err != nil || n.Spec.Unschedulable != cordoned {
			t.Errorf("%s cordoned %v, want %v (%v)", node, n.Spec.Unschedulable, cordoned, err)
		}
	}
}

// TestAbortLeavesAFailedNodeCordoned: with s-2's Job failed, abort removes every Plan
// and leaves s-2 cordoned, naming its Job.
//
// TestAbortLeavesAFailedNodeCordoned: a node whose Job failed before abort began is
// left cordoned and not waited for.
func TestAbortLeavesAFailedNodeCordoned(t *testing.T) {
	c := clitest.K3sHop2(t, true)
	r := c.Run(t, "abort", "--yes")
	if r.Code != cmdutil.ExitOK || r.Stderr != "" {
		t.Fatalf("exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	clitest.Golden(t, "abort-k3s-hop2-failed.txt", r.Stdout)
	for _, w := range c.Writes() {
		if w == "patch nodes" {
			t.Errorf("abort uncordoned a node: %v", c.Writes())
		}
	}
	n, err := c.Kube.CoreV1().Nodes().Get(t.Context(), "s-2", metav1.GetOptions{})
	if err != nil || !n.Spec.Unschedulable {
		t.Errorf("s-2, whose Job failed, must stay cordoned: %v %v", n.Spec.Unschedulable, err)
	}
	if l, err := c.Dyn.Resource(suc.PlanResource).Namespace(suc.DefaultNamespace).List(t.Context(), metav1.ListOptions{}); err != nil || len(l.Items) != 0 {
		t.Errorf("Plans left: %v %v", l, err)
	}
}

// writes are the actions that changed something, as "verb resource name" (access
// reviews aside).
func writes(actions []k8stesting.Action) []string {
	var out []string
	for _, a := range actions {
		switch a.GetVerb() {
		case "get", "list", "watch":
			continue
		}
		if a.GetResource().Resource == "selfsubjectaccessreviews" {
			continue
		}
		out = append(out, a.GetVerb()+" "+a.GetResource().Resource+" "+actionName(a))
	}
	return out
}

func actionName(a k8stesting.Action) string {
	switch a := a.(type) {
	case k8stesting.PatchAction:
		return a.GetName()
	case k8stesting.DeleteAction:
		return a.GetName()
	}
	return ""
}

// TestAbortKeepsTheServerPlanAnAgentWaitsFor: hop 1's servers are done and a-1's
// Job runs (its prepare step may still be waiting for the server Plan). Deleted at
// once, that Plan would leave a-1's prepare waiting until its Job's deadline; abort
// narrows it to the servers already on its version, waits for a-1, then deletes both.
func TestAbortKeepsTheServerPlanAnAgentWaitsFor(t *testing.T) {
	const v1 = "v1.31.13+k3s1"
	server, agent := clitest.PlanName(suc.RoleServer, v1), clitest.PlanName(suc.RoleAgent, v1)
	nodes := []clitest.NodeSpec{clitest.Server("s-1", v1), clitest.Server("s-2", v1), {Name: "a-1", Kubelet: "v1.30.14+k3s1", Cordoned: true}}
	c := clitest.NewSUCCluster(t, nodes,
		clitest.JobSpec{Plan: server, Node: "s-1", Version: v1, Complete: true, Created: clitest.T0}.Object(),
		clitest.JobSpec{Plan: server, Node: "s-2", Version: v1, Complete: true, Created: clitest.T0}.Object(),
		clitest.JobSpec{Plan: agent, Node: "a-1", Version: v1, Created: clitest.T0.Add(time.Hour)}.Object())
	c.Add(t,
		clitest.PlanSpec{Role: suc.RoleServer, Version: v1, From: "v1.30.14+k3s1", Nodes: []string{"s-1", "s-2"}, Complete: true, Created: clitest.T0}.Object(),
		clitest.PlanSpec{Role: suc.RoleAgent, Version: v1, From: "v1.30.14+k3s1", Nodes: []string{"a-1"}, Applying: []string{"a-1"}, Created: clitest.T0}.Object())
	finishNarrowedJobs(t, c, agent, "a-1")
	r := c.Run(t, "abort", "--yes")
	if r.Code != cmdutil.ExitOK {
		t.Fatalf("exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	want := []string{"patch plans " + agent, "patch plans " + server, "delete plans " + agent, "delete plans " + server}
	if got := writes(c.Dyn.Actions()); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("writes of Plans:\n%s\nwant (the server Plan kept until a-1 finished):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
