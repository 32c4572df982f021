package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/deprecation"
	"github.com/kubectl-skew/kubectl-skew/test/helmrelease"
)

const (
	benchReleases   = 500
	benchObjects    = 20000
	benchNamespaces = 20
	benchLabel      = "kubectl-skew.io/bench"
)

// benchManifest renders a chart of ten documents, as a typical release holds; every
// tenth release still ships a v1beta3 FlowSchema.
func benchManifest(i int) (string, map[string]string) {
	var b strings.Builder
	templates := map[string]string{}
	for d := range 10 {
		apiVersion, kind := "apps/v1", "Deployment"
		if d == 0 && i%10 == 0 {
			apiVersion, kind = "flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema"
		}
		fmt.Fprintf(&b, "---\n# Source: app-%d/templates/t%d.yaml\napiVersion: %s\nkind: %s\nmetadata:\n  name: app-%d-%d\n  labels:\n    app.kubernetes.io/name: app-%d\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: main\n        image: registry.example/app:%d\n        args: [--port=8080, --metrics, --log-level=info]\n", i, d, apiVersion, kind, i, d, i, i)
		templates[fmt.Sprintf("templates/t%d.yaml", d)] = strings.Repeat("{{ .Values.image }}\n", 40)
	}
	return b.String(), templates
}

// seedRemovedAPIBench writes 500 releases (each with a superseded revision before
// the deployed one: 1,000 Secrets) and 20,000 Ingresses carrying a last-applied
// configuration, in 20 namespaces, 32 writes at a time.
func seedRemovedAPIBench(b *testing.B) {
	ctx := context.Background()
	kube := env.sb.Client
	for n := range benchNamespaces {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("bench-%d", n), Labels: map[string]string{benchLabel: "true"}}}
		if _, err := kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			b.Fatal(err)
		}
	}
	work := make(chan func() error)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for w := range work {
				if err := w(); err != nil && !apierrors.IsAlreadyExists(err) {
					mu.Lock()
					first = err
					mu.Unlock()
				}
			}
		}()
	}
	for i := range benchReleases {
		manifest, templates := benchManifest(i)
		for rev, status := range []string{"superseded", "deployed"} {
			r := helmrelease.Release{Namespace: fmt.Sprintf("bench-%d", i%benchNamespaces), Name: fmt.Sprintf("app-%d", i), Revision: rev + 1, Status: status,
				Chart: fmt.Sprintf("app-%d", i), ChartVersion: "1.0.0", KubeVersion: ">=1.25.0-0", Manifest: manifest, Templates: templates}
			work <- func() error {
				s, err := r.Secret()
				if err != nil {
					return err
				}
				_, err = kube.CoreV1().Secrets(r.Namespace).Create(ctx, s, metav1.CreateOptions{})
				return err
			}
		}
	}
	pathType := networkingv1.PathTypePrefix
	for i := range benchObjects {
		ns, name := fmt.Sprintf("bench-%d", i%benchNamespaces), fmt.Sprintf("web-%d", i)
		apiVersion := "networking.k8s.io/v1"
		if i%1000 == 0 {
			apiVersion = "extensions/v1beta1"
		}
		ing := &networkingv1.Ingress{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Annotations: map[string]string{
				deprecation.LastApplied: fmt.Sprintf(`{"apiVersion":%q,"kind":"Ingress","metadata":{"annotations":{},"name":%q,"namespace":%q},"spec":{"rules":[{"host":"%s.example.com","http":{"paths":[{"backend":{"service":{"name":%q,"port":{"number":80}}},"path":"/","pathType":"Prefix"}]}}]}}`+"\n", apiVersion, name, ns, name, name),
			}},
			Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: name + ".example.com", IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
				Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &pathType, Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: name, Port: networkingv1.ServiceBackendPort{Number: 80}}}}},
			}}}}},
		}
		work <- func() error {
			_, err := kube.NetworkingV1().Ingresses(ns).Create(ctx, ing, metav1.CreateOptions{})
			return err
		}
	}
	close(work)
	wg.Wait()
	if first != nil {
		b.Fatal(first)
	}
}

func dropRemovedAPIBench() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for n := range benchNamespaces {
		_ = env.sb.Client.CoreV1().Namespaces().Delete(ctx, fmt.Sprintf("bench-%d", n), metav1.DeleteOptions{})
	}
}

// BenchmarkRemovedAPIScan: `kubectl skew check --target v1.33` with 500 Helm releases
// (1,000 release Secrets) and 20,000 applied Ingresses, beside what a user would run
// instead to list the same Secrets: kubectl get, and the raw list.
//
//	go test -run '^$' -bench RemovedAPIScan -benchtime 5x ./test/e2e/
func BenchmarkRemovedAPIScan(b *testing.B) {
	env.mu.Lock()
	defer env.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := env.sb.Seed(ctx, "k3s-healthy-ha"); err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	seedRemovedAPIBench(b)
	b.Logf("seeded %d releases and %d Ingresses in %v", benchReleases, benchObjects, time.Since(t0).Round(time.Millisecond))
	b.Cleanup(dropRemovedAPIBench)
	for _, bc := range []struct {
		name string
		args []string
	}{
		{"check-target", []string{"skew", "check", "--target", "v1.33", "-o", "json"}},
		{"check-target-without-scan", []string{"skew", "check", "--target", "v1.33", "--scan-apis=false", "-o", "json"}},
		{"get-helm-secrets", []string{"get", "secrets", "-A", "-l", "owner=helm", "-o", "json"}},
		{"raw-helm-secrets", []string{"get", "--raw", "/api/v1/secrets?labelSelector=owner%3Dhelm"}},
		{"raw-ingresses", []string{"get", "--raw", "/apis/networking.k8s.io/v1/ingresses"}},
		{"get-ingresses", []string{"get", "ingresses", "-A", "-o", "json"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				cmd := exec.Command(env.sb.Tools.Kubectl, bc.args...)
				cmd.Env = []string{"PATH=" + env.path, "HOME=" + env.home, "KUBECONFIG=" + env.sb.Kubeconfig}
				out, err := cmd.CombinedOutput()
				if err != nil && cmd.ProcessState.ExitCode() != 3 {
					b.Fatalf("%v\n%s", err, out)
				}
				if bc.name == "check-target" && !strings.Contains(string(out), `"releases": 500`) {
					b.Fatalf("check did not scan the 500 releases:\n%.2000s", out)
				}
			}
		})
	}
}
