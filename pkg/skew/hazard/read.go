package hazard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
)

// MasterLabel is the node role label Kubernetes v1.34 no longer sets.
const MasterLabel = "node-role.kubernetes.io/master"

var (
	traefikV2GV   = schema.GroupVersion{Group: "traefik.containo.us", Version: "v1alpha1"}
	planGVR       = schema.GroupVersionResource{Group: "upgrade.cattle.io", Version: "v1", Resource: "plans"}
	helmChartGVR  = schema.GroupVersionResource{Group: "helm.cattle.io", Version: "v1", Resource: "helmcharts"}
	helmConfigGVR = schema.GroupVersionResource{Group: "helm.cattle.io", Version: "v1", Resource: "helmchartconfigs"}
)

// Clients are what Read lists with.
type Clients struct {
	Kube    kubernetes.Interface
	Dynamic dynamic.Interface
}

// Read lists the facts in needs, concurrently, each once and paginated. nodes are the
// nodes the caller already listed. A list that fails makes its fact skipped with the
// reason; Read itself never fails.
func Read(ctx context.Context, c Clients, nodes []corev1.Node, needs []Fact) *Facts {
	f := &Facts{Read: map[Fact]bool{}, Skipped: map[Fact]string{}}
	want := map[Fact]bool{}
	for _, n := range needs {
		want[n] = true
	}
	if want[FactNodes] || want[FactNodeEvents] {
		f.Nodes = NodesFrom(nodes)
		f.mark(FactNodes)
	}
	readers := map[Fact]func(context.Context, Clients, *partial) error{
		FactNodeEvents: readCgroupEvents, FactTraefikV2: readTraefikV2, FactWorkloads: readWorkloads,
		FactPlans: readPlans, FactHelmInstall: readHelmJobs, FactHelmReleases: readPendingReleases,
		FactHelmCharts: readHelmCharts, FactIngresses: readIngresses,
	}
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for _, need := range needs {
		read, ok := readers[need]
		if !ok {
			continue
		}
		wg.Add(1)
		go func(need Fact) {
			defer wg.Done()
			p := &partial{}
			err := read(ctx, c, p)
			mu.Lock()
			defer mu.Unlock()
			f.mark(need)
			if err != nil {
				f.skip(need, reason(err))
				return
			}
			p.into(f)
		}(need)
	}
	wg.Wait()
	return f
}

// partial is what one reader found; merged into Facts under the lock.
type partial struct {
	cgroupV1        map[string]int
	traefikServed   bool
	traefik         []Object
	master          []Object
	failedJobs      []Object
	pendingReleases []Object
	charts          []Object
	snippets        []Object
}

func (p *partial) into(f *Facts) {
	for i := range f.Nodes {
		f.Nodes[i].CgroupV1Warnings += p.cgroupV1[f.Nodes[i].Name]
	}
	f.TraefikV2Served = f.TraefikV2Served || p.traefikServed
	f.TraefikV2 = append(f.TraefikV2, p.traefik...)
	f.MasterLabelUsers = append(f.MasterLabelUsers, p.master...)
	f.FailedHelmJobs = append(f.FailedHelmJobs, p.failedJobs...)
	f.PendingReleases = append(f.PendingReleases, p.pendingReleases...)
	f.HelmCharts = append(f.HelmCharts, p.charts...)
	f.SnippetIngresses = append(f.SnippetIngresses, p.snippets...)
}

// reason says why a list failed, in words an operator acts on.
func reason(err error) string {
	switch {
	case apierrors.IsForbidden(err):
		return "forbidden (grant list on it to judge this hazard)"
	case apierrors.IsNotFound(err):
		return "not served by this cluster"
	}
	return err.Error()
}

func readCgroupEvents(ctx context.Context, c Clients, p *partial) error {
	evs, err := cluster.ListAll(ctx, func(o metav1.ListOptions) ([]corev1.Event, string, error) {
		o.FieldSelector = "involvedObject.kind=Node,reason=CgroupV1"
		l, err := c.Kube.CoreV1().Events(metav1.NamespaceAll).List(ctx, o)
		if err != nil {
			return nil, "", err
		}
		return l.Items, l.Continue, nil
	})
	if err != nil {
		return err
	}
	p.cgroupV1 = map[string]int{}
	for _, e := range evs {
		p.cgroupV1[e.InvolvedObject.Name]++
	}
	return nil
}

// listDynamic pages through a custom resource; a resource the cluster does not serve
// is an empty list (nothing of it can exist), which callers decide on.
func listDynamic(ctx context.Context, c Clients, gvr schema.GroupVersionResource, ns string) ([]unstructured.Unstructured, error) {
	if c.Dynamic == nil {
		return nil, errors.New("custom resources cannot be read without a dynamic client")
	}
	return cluster.ListAll(ctx, func(o metav1.ListOptions) ([]unstructured.Unstructured, string, error) {
		l, err := c.Dynamic.Resource(gvr).Namespace(ns).List(ctx, o)
		if err != nil {
			return nil, "", err
		}
		return l.Items, l.GetContinue(), nil
	})
}

func readTraefikV2(ctx context.Context, c Clients, p *partial) error {
	rl, err := c.Kube.Discovery().ServerResourcesForGroupVersion(traefikV2GV.String())
	if apierrors.IsNotFound(err) {
		return nil // not served: no v2 objects can exist
	}
	if err != nil {
		return err
	}
	p.traefikServed = true
	for _, r := range rl.APIResources {
		if strings.Contains(r.Name, "/") || !hasVerb(r.Verbs, "list") {
			continue
		}
		items, err := listDynamic(ctx, c, traefikV2GV.WithResource(r.Name), metav1.NamespaceAll)
		if err != nil {
			return fmt.Errorf("list %s.%s: %w", r.Name, traefikV2GV.Group, err)
		}
		for i := range items {
			o := Object{Kind: strings.ToLower(r.Kind), Namespace: items[i].GetNamespace(), Name: items[i].GetName()}
			if routes, _, _ := unstructured.NestedSlice(items[i].Object, "spec", "routes"); len(routes) > 0 {
				if m, ok := routes[0].(map[string]interface{}); ok {
					o.Detail, _ = m["match"].(string)
				}
			}
			p.traefik = append(p.traefik, o)
		}
	}
	return nil
}

func hasVerb(verbs []string, v string) bool {
	for _, x := range verbs {
		if x == v {
			return true
		}
	}
	return false
}

// usesMaster reports whether a scheduling stanza (node selector, affinity, tolerations,
// marshalled as JSON) names the master label.
func usesMaster(parts ...interface{}) bool {
	for _, p := range parts {
		b, err := json.Marshal(p)
		if err == nil && strings.Contains(string(b), `"`+MasterLabel+`"`) {
			return true
		}
	}
	return false
}

func readPlans(ctx context.Context, c Clients, p *partial) error {
	items, err := listDynamic(ctx, c, planGVR, metav1.NamespaceAll)
	if apierrors.IsNotFound(err) {
		return nil // no system-upgrade-controller: no Plans
	}
	if err != nil {
		return err
	}
	for i := range items {
		spec, _, _ := unstructured.NestedMap(items[i].Object, "spec")
		if usesMaster(spec["nodeSelector"], spec["tolerations"]) {
			p.master = append(p.master, Object{Kind: "plan", Namespace: items[i].GetNamespace(), Name: items[i].GetName(), Detail: "nodeSelector or tolerations"})
		}
	}
	return nil
}

func readHelmJobs(ctx context.Context, c Clients, p *partial) error {
	jobs, err := cluster.ListAll(ctx, func(o metav1.ListOptions) ([]batchJob, string, error) {
		l, err := c.Kube.BatchV1().Jobs(metav1.NamespaceSystem).List(ctx, o)
		if err != nil {
			return nil, "", err
		}
		return l.Items, l.Continue, nil
	})
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if strings.HasPrefix(j.Name, "helm-install-") && jobFailed(j) {
			p.failedJobs = append(p.failedJobs, Object{Kind: "job", Namespace: j.Namespace, Name: j.Name, Detail: fmt.Sprintf("%d failed pods", j.Status.Failed)})
		}
	}
	return nil
}

func readPendingReleases(ctx context.Context, c Clients, p *partial) error {
	secrets, err := cluster.ListAll(ctx, func(o metav1.ListOptions) ([]corev1.Secret, string, error) {
		// Helm v3 labels its release Secrets; only the labels are needed, but the
		// typed list is what the fake and real clients share.
		o.LabelSelector = "owner=helm,status in (pending-install,pending-upgrade,pending-rollback)"
		l, err := c.Kube.CoreV1().Secrets(metav1.NamespaceAll).List(ctx, o)
		if err != nil {
			return nil, "", err
		}
		return l.Items, l.Continue, nil
	})
	if err != nil {
		return err
	}
	for _, s := range secrets {
		p.pendingReleases = append(p.pendingReleases, Object{Kind: "release", Namespace: s.Namespace, Name: s.Labels["name"],
			Detail: s.Labels["status"] + ", revision " + s.Labels["version"]})
	}
	return nil
}

func readHelmCharts(ctx context.Context, c Clients, p *partial) error {
	for _, gvr := range []schema.GroupVersionResource{helmChartGVR, helmConfigGVR} {
		items, err := listDynamic(ctx, c, gvr, metav1.NamespaceSystem)
		if apierrors.IsNotFound(err) {
			continue // no helm-controller CRDs: no bundled charts
		}
		if err != nil {
			return fmt.Errorf("list %s: %w", gvr.GroupResource(), err)
		}
		for i := range items {
			values, _, _ := unstructured.NestedString(items[i].Object, "spec", "valuesContent")
			p.charts = append(p.charts, Object{Kind: strings.TrimSuffix(gvr.Resource, "s"), Namespace: items[i].GetNamespace(), Name: items[i].GetName(), Detail: values})
		}
	}
	return nil
}

func readIngresses(ctx context.Context, c Clients, p *partial) error {
	ings, err := cluster.ListAll(ctx, func(o metav1.ListOptions) ([]networkingIngress, string, error) {
		l, err := c.Kube.NetworkingV1().Ingresses(metav1.NamespaceAll).List(ctx, o)
		if err != nil {
			return nil, "", err
		}
		return l.Items, l.Continue, nil
	})
	if err != nil {
		return err
	}
	for _, in := range ings {
		for k := range in.Annotations {
			if strings.HasSuffix(k, "-snippet") {
				p.snippets = append(p.snippets, Object{Kind: "ingress", Namespace: in.Namespace, Name: in.Name, Detail: k})
				break
			}
		}
	}
	return nil
}
