// Package helmrelease writes Helm v3 releases the way Helm's Secret storage driver
// does (read from helm/helm pkg/storage/driver): a Secret of type helm.sh/release.v1
// named sh.helm.release.v1.NAME.vREVISION, labels name, owner=helm, status and
// version, and the release JSON gzipped and base64-encoded under "release". The e2e
// tests and the benchmark use it; nothing else in the repository writes releases.
package helmrelease

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/deprecation"
)

// Release is one revision of a release.
type Release struct {
	Namespace, Name string
	Revision        int
	// Status is deployed, superseded, failed, ...
	Status       string
	Chart        string
	ChartVersion string
	KubeVersion  string
	// Manifest is the rendered YAML; Templates are the chart's template files.
	Manifest  string
	Templates map[string]string
}

// JSON is the release as Helm serialises it.
func (r Release) JSON() map[string]any {
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC).Format(time.RFC3339Nano)
	var templates []any
	for name, data := range r.Templates {
		templates = append(templates, map[string]any{"name": name, "data": base64.StdEncoding.EncodeToString([]byte(data))})
	}
	return map[string]any{
		"name": r.Name, "namespace": r.Namespace, "version": r.Revision,
		"info": map[string]any{"first_deployed": at, "last_deployed": at, "deleted": "", "description": "Install complete", "status": r.Status},
		"chart": map[string]any{
			"metadata": map[string]any{"name": r.Chart, "version": r.ChartVersion, "apiVersion": "v2", "appVersion": r.ChartVersion, "kubeVersion": r.KubeVersion, "type": "application"},
			"lock":     nil, "templates": templates, "values": map[string]any{}, "schema": nil, "files": []any{},
		},
		"config":   map[string]any{},
		"manifest": r.Manifest,
	}
}

// Secret is the Secret Helm's storage driver would write for r.
func (r Release) Secret() (*corev1.Secret, error) {
	data, err := deprecation.EncodeRelease(r.JSON())
	if err != nil {
		return nil, err
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf("sh.helm.release.v1.%s.v%d", r.Name, r.Revision), Namespace: r.Namespace,
			Labels: map[string]string{"name": r.Name, "owner": "helm", "status": r.Status, "version": strconv.Itoa(r.Revision)},
		},
		Type: "helm.sh/release.v1",
		Data: map[string][]byte{"release": data},
	}, nil
}
