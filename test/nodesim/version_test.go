package nodesim

import (
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

func TestDemunge(t *testing.T) {
	for in, want := range map[string]string{
		"v1.31.13-k3s1":    "v1.31.13+k3s1",
		"v1.31.13+k3s1":    "v1.31.13+k3s1",
		"v1.28.4-rc1-k3s1": "v1.28.4-rc1+k3s1",
		"v1.30.14-rke2r2":  "v1.30.14+rke2r2",
		"v1.31.4":          "v1.31.4",
		"":                 "",
	} {
		if got := Demunge(in); got != want {
			t.Errorf("Demunge(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRetag(t *testing.T) {
	for _, tc := range []struct{ image, from, to, want string }{
		{"index.docker.io/rancher/hardened-kubernetes:v1.31.13-rke2r1-build20250910", "v1.31.13+rke2r1", "v1.32.9+rke2r1",
			"index.docker.io/rancher/hardened-kubernetes:v1.32.9-rke2r1-build20250910"},
		{"registry.k8s.io/kube-apiserver:v1.31.4", "v1.31.4", "v1.32.0", "registry.k8s.io/kube-apiserver:v1.32.0"},
		{"registry.k8s.io/etcd:3.5.15-0", "v1.31.4", "v1.32.0", "registry.k8s.io/etcd:3.5.15-0"},
		{"localhost:5000/kube-proxy", "v1.31.4", "v1.32.0", "localhost:5000/kube-proxy"},
		{"registry.k8s.io/kube-proxy:v1.31.40", "v1.31.4", "v1.32.0", "registry.k8s.io/kube-proxy:v1.31.40"},
	} {
		if got, _ := retag(tc.image, tc.from, tc.to); got != tc.want {
			t.Errorf("retag(%q, %q, %q) = %q, want %q", tc.image, tc.from, tc.to, got, tc.want)
		}
	}
}

func TestJobShape(t *testing.T) {
	job := &batchv1.Job{}
	job.Labels = map[string]string{LabelVersion: "v1.32.9-k3s1"}
	job.Spec.Template.Spec.InitContainers = []corev1.Container{
		{Name: "prepare", Image: "rancher/k3s-upgrade:v1.32.9-k3s1", Args: []string{"prepare", "k3s-server"}},
		{Name: "drain", Args: []string{"drain", "agent-1"}},
	}
	job.Spec.Template.Spec.Containers = []corev1.Container{{Name: "upgrade", Image: "rancher/k3s-upgrade:v1.32.9-k3s1"}}
	if got := prepareTarget(job); got != "k3s-server" {
		t.Errorf("prepareTarget = %q", got)
	}
	if !cordons(job) {
		t.Errorf("a drain step cordons")
	}
	if got := targetVersion(nil, job); got != "v1.32.9+k3s1" {
		t.Errorf("targetVersion = %q", got)
	}
	if kubeProxyReport("v1.30.14+k3s1") != "v1.30.14+k3s1" || kubeProxyReport("v1.31.1+k3s1") != "" {
		t.Errorf("kubeProxyReport")
	}
}

func TestReleaseDistro(t *testing.T) {
	for in, want := range map[string]string{
		"v1.33.5+k3s1":      "k3s",
		"v1.34.0-rc1+k3s1":  "k3s",
		"v1.30.14+rke2r2":   "rke2",
		"v1.33.5-k3s1":      "", // SUC's munged spelling: no release of that name
		"v1.33.5":           "", // kubeadm
		"v1.33+k3s1":        "",
		"1.33.5+k3s1":       "",
		"v1.33.5+k3s0":      "",
		"v1.33.5+k3s1\n":    "",
		"v1.33.5+k3s1 ; id": "",
		"stable":            "",
		"":                  "",
	} {
		if got := ReleaseDistro(in); got != want {
			t.Errorf("ReleaseDistro(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestInstallDone(t *testing.T) {
	for _, tc := range []struct{ version, id, outcome string }{
		{"v1.33.5+k3s1", "4f2a9c", InstallRestarted},
		{"v1.33.5+k3s1", "", InstallUnchanged},
	} {
		req := InstallRequest(tc.version, tc.id)
		if got, outcome := ParseInstallDone(req + " " + tc.outcome); got != req || outcome != tc.outcome {
			t.Errorf("ParseInstallDone(%q) = %q, %q", req+" "+tc.outcome, got, outcome)
		}
	}
	if req, outcome := ParseInstallDone(""); req != "" || outcome != "" {
		t.Errorf("ParseInstallDone(\"\") = %q, %q", req, outcome)
	}
}
