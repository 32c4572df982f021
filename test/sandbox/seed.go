package sandbox

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/restmapper"
	"k8s.io/utils/ptr"

	"github.com/kubectl-skew/kubectl-skew/test/scenarios"
)

// Workers is how many requests seeding keeps in flight: enough to create 5,000 nodes
// in a few seconds on two cores without queueing in the apiserver.
const Workers = 32

type seededObject struct {
	gvr       schema.GroupVersionResource
	namespace string
	name      string
}

// Seed replaces whatever cluster the sandbox holds with the named scenario.
func (sb *Sandbox) Seed(ctx context.Context, name string) error {
	s, err := scenarios.Load(name)
	if err != nil {
		return err
	}
	return sb.SeedScenario(ctx, s)
}

// SeedScenario wipes the previous scenario (nodes, pods, its extra objects, SUC Plans
// and Jobs) and creates this one.
func (sb *Sandbox) SeedScenario(ctx context.Context, s *scenarios.Scenario) error {
	began := time.Now()
	objs, err := s.Expand(time.Now())
	if err != nil {
		return fmt.Errorf("seed %s: %w", s.Name, err)
	}
	if err := sb.Wipe(ctx); err != nil {
		return fmt.Errorf("seed %s: %w", s.Name, err)
	}
	if err := sb.ensureServiceAccounts(ctx, objs.Pods); err != nil {
		return fmt.Errorf("seed %s: %w", s.Name, err)
	}
	err = parallel(ctx, len(objs.Nodes), func(i int) error {
		// Node create keeps status; nothing else would ever write it here.
		_, err := sb.Client.CoreV1().Nodes().Create(ctx, &objs.Nodes[i], metav1.CreateOptions{})
		return wrap("create node "+objs.Nodes[i].Name, err)
	})
	if err != nil {
		return fmt.Errorf("seed %s: %w", s.Name, err)
	}
	err = parallel(ctx, len(objs.Pods), func(i int) error {
		want := &objs.Pods[i]
		// Pod create resets status to Pending; the kubelet would set Running.
		got, err := sb.Client.CoreV1().Pods(want.Namespace).Create(ctx, want, metav1.CreateOptions{})
		if err != nil {
			return wrap("create pod "+want.Namespace+"/"+want.Name, err)
		}
		got.Status = want.Status
		_, err = sb.Client.CoreV1().Pods(want.Namespace).UpdateStatus(ctx, got, metav1.UpdateOptions{})
		return wrap("pod status "+want.Namespace+"/"+want.Name, err)
	})
	if err != nil {
		return fmt.Errorf("seed %s: %w", s.Name, err)
	}
	seeded, err := sb.createExtra(ctx, objs.Extra)
	sb.mu.Lock()
	sb.scenario, sb.seeded = s.Name, seeded
	sb.mu.Unlock()
	if err != nil {
		return fmt.Errorf("seed %s: %w", s.Name, err)
	}
	if sb.Nodesim != nil {
		sb.Nodesim.Reset()
	}
	sb.progress("seeded %s: %d nodes, %d pods, %d objects in %.1fs", s.Name, len(objs.Nodes), len(objs.Pods), len(objs.Extra), time.Since(began).Seconds())
	return nil
}

func (sb *Sandbox) ensureServiceAccounts(ctx context.Context, pods []corev1.Pod) error {
	want := map[[2]string]bool{}
	for _, p := range pods {
		want[[2]string{p.Namespace, "default"}] = true
		if p.Spec.ServiceAccountName != "" {
			want[[2]string{p.Namespace, p.Spec.ServiceAccountName}] = true
		}
	}
	for key := range want {
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: key[0], Name: key[1]}}
		if _, err := sb.Client.CoreV1().ServiceAccounts(key[0]).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("service account %s/%s: %w", key[0], key[1], err)
		}
	}
	return nil
}

func (sb *Sandbox) createExtra(ctx context.Context, extra []*unstructured.Unstructured) ([]seededObject, error) {
	if len(extra) == 0 {
		return nil, nil
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(sb.Client.Discovery()))
	var seeded []seededObject
	for _, u := range extra {
		gvk := u.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			return seeded, fmt.Errorf("%s %s: %w", gvk.Kind, u.GetName(), err)
		}
		res := sb.Dynamic.Resource(m.Resource)
		var client interface {
			Create(context.Context, *unstructured.Unstructured, metav1.CreateOptions, ...string) (*unstructured.Unstructured, error)
			UpdateStatus(context.Context, *unstructured.Unstructured, metav1.UpdateOptions) (*unstructured.Unstructured, error)
		} = res
		if m.Scope.Name() == "namespace" {
			ns := u.GetNamespace()
			if ns == "" {
				ns = metav1.NamespaceDefault
			}
			client = res.Namespace(ns)
		}
		status, hasStatus := u.Object["status"]
		got, err := client.Create(ctx, u, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) && gvk.Kind == "Namespace" {
			continue // namespaces outlive scenarios: none is ever deleted (see Wipe)
		}
		if err != nil {
			return seeded, fmt.Errorf("create %s %s: %w", gvk.Kind, u.GetName(), err)
		}
		if gvk.Kind != "Namespace" {
			seeded = append(seeded, seededObject{gvr: m.Resource, namespace: got.GetNamespace(), name: got.GetName()})
		}
		if hasStatus {
			got.Object["status"] = status
			if gen := got.GetGeneration(); gen > 0 {
				_ = unstructured.SetNestedField(got.Object, gen, "status", "observedGeneration")
			}
			if _, err := client.UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil {
				return seeded, fmt.Errorf("status of %s %s: %w", gvk.Kind, u.GetName(), err)
			}
		}
	}
	return seeded, nil
}

// Wipe deletes what scenarios create: every node, every pod, the previous scenario's
// extra objects, and SUC's Plans and Jobs. Namespaces stay: the namespace controller
// empties a deleted one in its own time, and the next scenario may need it at once.
func (sb *Sandbox) Wipe(ctx context.Context) error {
	background := metav1.DeletePropagationBackground
	now := metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0), PropagationPolicy: &background}
	var errs []error

	// Plans first, so SUC stops making Jobs for nodes about to vanish.
	plans := sb.Dynamic.Resource(schema.GroupVersionResource{Group: "upgrade.cattle.io", Version: "v1", Resource: "plans"})
	if list, err := plans.Namespace("").List(ctx, metav1.ListOptions{}); err == nil {
		for _, p := range list.Items {
			if len(p.GetFinalizers()) > 0 {
				p.SetFinalizers(nil)
				_, _ = plans.Namespace(p.GetNamespace()).Update(ctx, &p, metav1.UpdateOptions{})
			}
			if err := plans.Namespace(p.GetNamespace()).Delete(ctx, p.GetName(), now); err != nil && !apierrors.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("delete plan %s: %w", p.GetName(), err))
			}
		}
	} else if !apierrors.IsNotFound(err) {
		errs = append(errs, fmt.Errorf("list plans: %w", err))
	}

	nsList, err := sb.Client.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("wipe: list namespaces: %w", err)
	}
	for _, ns := range nsList.Items {
		if err := sb.Client.BatchV1().Jobs(ns.Name).DeleteCollection(ctx, now, metav1.ListOptions{}); err != nil {
			errs = append(errs, fmt.Errorf("delete jobs in %s: %w", ns.Name, err))
		}
		if err := sb.Client.CoreV1().Pods(ns.Name).DeleteCollection(ctx, now, metav1.ListOptions{}); err != nil {
			errs = append(errs, fmt.Errorf("delete pods in %s: %w", ns.Name, err))
		}
	}
	sb.mu.Lock()
	seeded := sb.seeded
	sb.seeded, sb.scenario = nil, ""
	sb.mu.Unlock()
	for _, o := range seeded {
		err := sb.Dynamic.Resource(o.gvr).Namespace(o.namespace).Delete(ctx, o.name, now)
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete %s %s/%s: %w", o.gvr.Resource, o.namespace, o.name, err))
		}
	}
	if err := sb.deleteNodes(ctx, now); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("wipe: %w", err)
	}
	return nil
}

// deleteNodes deletes every node. A collection of thousands can outlast the request
// timeout while the controllers are busy with the same nodes; the server goes on
// deleting, so a failed call is retried while nodes remain.
func (sb *Sandbox) deleteNodes(ctx context.Context, opts metav1.DeleteOptions) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if err = sb.Client.CoreV1().Nodes().DeleteCollection(ctx, opts, metav1.ListOptions{}); err == nil {
			return nil
		}
		left, lerr := sb.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{Limit: 1})
		if lerr == nil && len(left.Items) == 0 {
			return nil
		}
	}
	return fmt.Errorf("delete nodes: %w", err)
}

// parallel runs fn(0..n-1) on Workers goroutines and returns the first error.
func parallel(ctx context.Context, n int, fn func(i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for w := 0; w < Workers && w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		}()
	}
	func() {
		defer close(next)
		for i := 0; i < n; i++ {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return first
}

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}
