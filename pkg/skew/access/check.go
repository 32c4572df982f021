package access

import (
	"context"
	"fmt"
	"sync"

	authv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// reviewers bounds the SelfSubjectAccessReviews in flight: a set asks a few dozen.
const reviewers = 8

// Missing asks the apiserver, one SelfSubjectAccessReview each (every authenticated
// identity may create them), whether it may do each of perms, and returns those it
// may not, in perms' order. An error means some could not be asked.
func Missing(ctx context.Context, kube kubernetes.Interface, perms []Permission) ([]Permission, error) {
	allowed := make([]bool, len(perms))
	errs := make([]error, len(perms))
	sem := make(chan struct{}, reviewers)
	var wg sync.WaitGroup
	for i, p := range perms {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			allowed[i], errs[i] = review(ctx, kube, p)
		}()
	}
	wg.Wait()
	var out []Permission
	for i, p := range perms {
		if errs[i] != nil {
			return nil, fmt.Errorf("ask whether this identity may %s: %w", p, errs[i])
		}
		if !allowed[i] {
			out = append(out, p)
		}
	}
	return out, nil
}

func review(ctx context.Context, kube kubernetes.Interface, p Permission) (bool, error) {
	spec := authv1.SelfSubjectAccessReviewSpec{}
	if p.URL != "" {
		spec.NonResourceAttributes = &authv1.NonResourceAttributes{Path: p.URL, Verb: p.Verb}
	} else {
		spec.ResourceAttributes = &authv1.ResourceAttributes{Verb: p.Verb, Group: p.Group, Resource: p.Resource, Subresource: p.Subresource, Namespace: p.Namespace, Name: p.Name}
	}
	r, err := kube.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authv1.SelfSubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
	if err != nil {
		return false, err
	}
	return r.Status.Allowed, nil
}

// Require checks the set's required permissions for a run with o (the optional
// ones are never asked) and returns a *MissingError naming those denied.
func Require(ctx context.Context, kube kubernetes.Interface, s *Set, o Options) error {
	o.Optional = false
	missing, err := Missing(ctx, kube, s.Permissions(o))
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return &MissingError{Set: s, Missing: missing, Namespace: o.SUCNamespace, RancherNamespace: o.RancherNamespace, AfterRead: o.AfterRead}
	}
	return nil
}
