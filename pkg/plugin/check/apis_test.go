package check_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/deprecation"
	"github.com/kubectl-skew/kubectl-skew/test/clitest"
)

func helmSecret(t *testing.T, name string, data []byte) *corev1.Secret {
	t.Helper()
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "sh.helm.release.v1." + name + ".v1", Namespace: "apps",
			Labels: map[string]string{"owner": "helm", "name": name, "status": "deployed", "version": "1"}},
		Type: "helm.sh/release.v1", Data: map[string][]byte{"release": data},
	}
}

// TestCheckTargetScansHelmReleases: the command layer reads release Secrets and turns
// what they hold into findings: a removed API, and a hostile release that would
// expand past --max-release-size, which is reported instead of read.
func TestCheckTargetScansHelmReleases(t *testing.T) {
	stored, err := deprecation.EncodeRelease(map[string]any{"name": "flows", "namespace": "apps", "version": 1,
		"manifest": "apiVersion: flowcontrol.apiserver.k8s.io/v1beta3\nkind: FlowSchema\nmetadata:\n  name: f\n"})
	if err != nil {
		t.Fatal(err)
	}
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zw.Write(bytes.Repeat([]byte("{"), 4<<20))
	zw.Close()
	cmStored, err := deprecation.EncodeRelease(map[string]any{"name": "cron", "namespace": "apps", "version": 4,
		"manifest": "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: nightly\n"})
	if err != nil {
		t.Fatal(err)
	}
	// Helm's ConfigMap driver: the same labels, the release as a string.
	configMapRelease := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "cron.v4", Namespace: "apps", Labels: map[string]string{"owner": "helm", "name": "cron", "status": "deployed", "version": "4"}},
		Data:       map[string]string{"release": string(cmStored)},
	}
	sc := checkScenarios[0].cluster // K3s v1.32
	sc.Objects = append([]runtime.Object{
		configMapRelease,
		helmSecret(t, "flows", stored),
		helmSecret(t, "bomb", []byte(base64.StdEncoding.EncodeToString(bomb.Bytes()))),
	}, sc.Objects...)
	r := clitest.Run(t, sc, "check", "--target", "v1.33", "--max-release-size", "1Mi")
	if r.Code != cmdutil.ExitFindings {
		t.Fatalf("exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	for _, want := range []string{
		"SKEW801", "Helm release apps/flows (revision 1) renders FlowSchema f as flowcontrol.apiserver.k8s.io/v1beta3, removed in v1.32 already",
		"SKEW804", "Helm release apps/bomb (revision 1, secret sh.helm.release.v1.bomb.v1) could not be read: release too large",
		"Helm release apps/cron (revision 4) renders CronJob nightly as batch/v1beta1, removed in v1.25 already",
	} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("output lacks %q\n%s", want, r.Stdout)
		}
	}
	if !strings.Contains(r.Stderr, "warning: skipped live objects'") {
		t.Errorf("the fake client has no metadata client: that source is skipped, on stderr\n%s", r.Stderr)
	}
}

func TestCheckAPIFlagsBadInput(t *testing.T) {
	sc := checkScenarios[0].cluster
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"check", "--target", "v1.33", "--max-release-size", "lots"}, `--max-release-size "lots": use a size such as 32Mi`},
		{[]string{"check", "-f", "/nonexistent/deploy.yaml"}, "-f /nonexistent/deploy.yaml: no such file or directory"},
	} {
		r := clitest.Run(t, sc, tc.args...)
		if r.Code != cmdutil.ExitError || !strings.Contains(r.Stderr, tc.want) || strings.Count(strings.TrimSpace(r.Stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want 1 and one line with %q", tc.args, r.Code, r.Stderr, tc.want)
		}
	}
}

func TestCheckRancherFlagsBadInput(t *testing.T) {
	sc := checkScenarios[0].cluster
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"check", "--rancher-cluster", "a/b/c"}, `--rancher-cluster "a/b/c": use NAMESPACE/NAME`},
		{[]string{"check", "--rancher-cluster", "fleet-default/x", "--all-contexts"}, "cannot be combined with --all-contexts"},
		{[]string{"check", "--rancher-cluster", "fleet-default/x", "-f", "."}, "-f needs the downstream cluster's own kubeconfig"},
		{[]string{"check", "--rancher-cluster", "fleet-default/x"}, "this is not a Rancher management cluster"},
	} {
		r := clitest.Run(t, sc, tc.args...)
		if r.Code != cmdutil.ExitError || !strings.Contains(r.Stderr, tc.want) || strings.Count(strings.TrimSpace(r.Stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want 1 and one line with %q", tc.args, r.Code, r.Stderr, tc.want)
		}
	}
}
