package preflight

import (
	"context"
	"sync"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	appsv1 "k8s.io/api/apps/v1"
	authv1 "k8s.io/api/authorization/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/deprecation"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/etcdsnapshot"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/hazard"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
)

// Facts is everything the checks judge: what the run already knows (the nodes, the
// inventory, the path) and what Gather read, each answer with its error.
type Facts struct {
	Nodes     []corev1.Node
	Inventory *cluster.Inventory
	// Path is nil when the distro is not supported or planning failed.
	Path *upgradepath.Path

	// PlanAPIServed says whether upgrade.cattle.io/v1 plans is served.
	PlanAPIServed bool
	PlanAPIErr    error

	Deployment    *appsv1.Deployment
	DeploymentErr error
	// ServiceAccountErr is nil when the service account exists.
	ServiceAccountErr error

	// Access holds the answer of a SelfSubjectAccessReview for each permission.
	Access    map[Permission]bool
	AccessErr error

	// RancherAgent says whether cattle-system/cattle-cluster-agent exists.
	RancherAgent bool
	// RancherPlans are the Plans in cattle-system, when SUC runs elsewhere.
	RancherPlans []string

	Plans    []upgradev1.Plan
	PlansErr error
	// Jobs are our Plans' Jobs.
	Jobs    []batchv1.Job
	JobsErr error

	SnapshotsServed bool
	Snapshots       []etcdsnapshot.Snapshot
	SnapshotsErr    error

	// APIs is the removed-API scan: Helm releases, applied objects, /metrics, files.
	APIs    *deprecation.Scan
	APIsErr error

	// Hazards are the hop hazards of the path's hops.
	Hazards []hazard.HopReport

	// Drain is what the drains would meet; empty when nothing is drained.
	Drain DrainFacts
	// PullSecrets holds each --image-pull-secret as read, or its error.
	PullSecrets    map[string]*corev1.Secret
	PullSecretErrs map[string]error
}

// Source is where Gather reads from. Everything is read-only.
type Source struct {
	Kube      kubernetes.Interface
	Dynamic   dynamic.Interface
	Discovery discovery.DiscoveryInterface
	// ScanAPIs reads the sources of the removed-API scan; nil skips the check.
	ScanAPIs func(context.Context) (*deprecation.Scan, error)
}

// Rancher's marks: the namespace its agent and its own controller's Plans live in.
const (
	rancherNamespace = "cattle-system"
	rancherAgent     = "cattle-cluster-agent"
)

// Gather reads the facts the checks need, all at once. f holds what the run
// already read; Gather fills in the rest and never fails: each error is kept
// beside the fact it concerns.
func Gather(ctx context.Context, src Source, f *Facts, o Options) *Facts {
	var wg sync.WaitGroup
	run := func(read func()) {
		wg.Add(1)
		go func() { defer wg.Done(); read() }()
	}
	run(func() {
		f.PlanAPIServed, f.PlanAPIErr = cluster.Served(src.Discovery, suc.PlanResource)
	})
	run(func() {
		f.Deployment, f.DeploymentErr = src.Kube.AppsV1().Deployments(o.Namespace).Get(ctx, o.Deployment, metav1.GetOptions{})
	})
	run(func() {
		_, f.ServiceAccountErr = src.Kube.CoreV1().ServiceAccounts(o.Namespace).Get(ctx, o.ServiceAccount, metav1.GetOptions{})
	})
	run(func() {
		// Every permission any run might need: what Evaluate requires depends on the
		// step, which is worked out from the Plans read here.
		all := o
		all.NeedDelete, all.RetryFailed = true, true
		f.Access, f.AccessErr = reviewAccess(ctx, src.Kube, Required(all))
	})
	run(func() {
		_, err := src.Kube.AppsV1().Deployments(rancherNamespace).Get(ctx, rancherAgent, metav1.GetOptions{})
		f.RancherAgent = err == nil
	})
	if o.Namespace != rancherNamespace {
		run(func() {
			plans, err := (&suc.Client{Dynamic: src.Dynamic, Namespace: rancherNamespace}).List(ctx)
			if err == nil {
				for _, p := range plans {
					f.RancherPlans = append(f.RancherPlans, p.Name)
				}
			}
		})
	}
	run(func() { f.Plans, f.PlansErr = (&suc.Client{Dynamic: src.Dynamic, Namespace: o.Namespace}).List(ctx) })
	run(func() {
		l, err := src.Kube.BatchV1().Jobs(o.Namespace).List(ctx, metav1.ListOptions{LabelSelector: suc.OwnedSelector})
		if err != nil {
			f.JobsErr = err
			return
		}
		f.Jobs = l.Items
	})
	run(func() {
		f.SnapshotsServed, f.SnapshotsErr = etcdsnapshot.Served(src.Discovery)
		if f.SnapshotsErr == nil && f.SnapshotsServed {
			f.Snapshots, f.SnapshotsErr = etcdsnapshot.List(ctx, src.Dynamic)
		}
	})
	if src.ScanAPIs != nil {
		run(func() { f.APIs, f.APIsErr = src.ScanAPIs(ctx) })
	}
	run(func() { gatherHazards(ctx, src, f, o) })
	run(func() { f.Drain = gatherDrain(ctx, src.Kube, DrainedNodes(f.Path)) })
	run(func() { f.PullSecrets, f.PullSecretErrs = readSecrets(ctx, src.Kube, o.Namespace, o.ImagePullSecrets) })
	wg.Wait()
	return f
}

func readSecrets(ctx context.Context, kube kubernetes.Interface, ns string, names []string) (map[string]*corev1.Secret, map[string]error) {
	got, errs := map[string]*corev1.Secret{}, map[string]error{}
	for _, n := range names {
		s, err := kube.CoreV1().Secrets(ns).Get(ctx, n, metav1.GetOptions{})
		if err != nil {
			errs[n] = err
			continue
		}
		got[n] = s
	}
	return got, errs
}

// reviewAccess asks the apiserver about each permission, concurrently.
func reviewAccess(ctx context.Context, kube kubernetes.Interface, need []Permission) (map[Permission]bool, error) {
	out := make(map[Permission]bool, len(need))
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for _, p := range need {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &authv1.SelfSubjectAccessReview{Spec: authv1.SelfSubjectAccessReviewSpec{
				ResourceAttributes: &authv1.ResourceAttributes{Verb: p.Verb, Group: p.Group, Resource: p.Resource, Namespace: p.Namespace},
			}}
			got, err := kube.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, r, metav1.CreateOptions{})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if first == nil {
					first = err
				}
				return
			}
			out[p] = got.Status.Allowed
		}()
	}
	wg.Wait()
	return out, first
}
