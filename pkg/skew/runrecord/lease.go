package runrecord

import (
	"context"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// LeaseDuration is how long a run's Lease holds without renewal: a run that died
// (a laptop closed) leaves it free after this long.
const LeaseDuration = 60 * time.Second

// HeldError is a Lease another live run holds.
type HeldError struct {
	Holder  string
	Renewed time.Time
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("another kubectl skew upgrade holds the run Lease %s (holder %s, renewed %s ago)", Name, e.Holder, time.Since(e.Renewed).Round(time.Second))
}

// Holder is the live holder of the Lease, or "" when it is free (none, released,
// or not renewed for LeaseDuration).
func Holder(ctx context.Context, kube kubernetes.Interface, ns string, now time.Time) (*HeldError, error) {
	l, err := kube.CoordinationV1().Leases(ns).Get(ctx, Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the run Lease %s/%s: %w", ns, Name, err)
	}
	if !ours(l.ObjectMeta) {
		return nil, fmt.Errorf("the Lease %s/%s %w: rename or remove it", ns, Name, ErrForeign)
	}
	return live(l, now), nil
}

func live(l *coordinationv1.Lease, now time.Time) *HeldError {
	if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity == "" || l.Spec.RenewTime == nil {
		return nil
	}
	d := LeaseDuration
	if l.Spec.LeaseDurationSeconds != nil {
		d = time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second
	}
	if now.After(l.Spec.RenewTime.Add(d)) {
		return nil
	}
	return &HeldError{Holder: *l.Spec.HolderIdentity, Renewed: l.Spec.RenewTime.Time}
}

// Acquire takes the Lease for holder, or renews it when holder has it; a live
// Lease of another holder is a *HeldError. The apiserver's resourceVersion check
// settles two runs that try at the same moment: one of them gets a conflict.
func Acquire(ctx context.Context, kube kubernetes.Interface, ns, holder string, now time.Time) error {
	api := kube.CoordinationV1().Leases(ns)
	secs := int32(LeaseDuration / time.Second)
	renew := metav1.NewMicroTime(now)
	l, err := api.Get(ctx, Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		l = &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: Name, Namespace: ns, Labels: map[string]string{LabelManagedBy: managedBy}},
			Spec:       coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &secs, AcquireTime: &renew, RenewTime: &renew},
		}
		_, err = api.Create(ctx, l, metav1.CreateOptions{FieldManager: FieldManager})
		if apierrors.IsAlreadyExists(err) {
			return &HeldError{Holder: "(another run, just now)", Renewed: now}
		}
		return leaseErr(ns, err)
	}
	if err != nil {
		return leaseErr(ns, err)
	}
	if !ours(l.ObjectMeta) {
		return fmt.Errorf("the Lease %s/%s %w: rename or remove it", ns, Name, ErrForeign)
	}
	if held := live(l, now); held != nil && held.Holder != holder {
		return held
	}
	if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity != holder {
		l.Spec.AcquireTime = &renew
	}
	l.Spec.HolderIdentity, l.Spec.LeaseDurationSeconds, l.Spec.RenewTime = &holder, &secs, &renew
	_, err = api.Update(ctx, l, metav1.UpdateOptions{FieldManager: FieldManager})
	if apierrors.IsConflict(err) {
		return &HeldError{Holder: "(another run, just now)", Renewed: now}
	}
	return leaseErr(ns, err)
}

// Release frees the Lease if holder has it: the next run need not wait.
func Release(ctx context.Context, kube kubernetes.Interface, ns, holder string) error {
	api := kube.CoordinationV1().Leases(ns)
	l, err := api.Get(ctx, Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return leaseErr(ns, err)
	}
	if !ours(l.ObjectMeta) || l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity != holder {
		return nil
	}
	empty := ""
	l.Spec.HolderIdentity = &empty
	_, err = api.Update(ctx, l, metav1.UpdateOptions{FieldManager: FieldManager})
	return leaseErr(ns, err)
}

func leaseErr(ns string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("the run Lease %s/%s: %w", ns, Name, err)
}
