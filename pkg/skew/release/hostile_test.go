package release

import (
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// TestUnknownComponentIsKeptAndIgnored: a component no rule reads decodes, stays
// in the row (the releases command shows it), and changes nothing the rules see.
func TestUnknownComponentIsKeptAndIgnored(t *testing.T) {
	plain, err := Decode(testFile(t, testRow()))
	if err != nil {
		t.Fatal(err)
	}
	extra, err := Decode(withRow(t, func(r map[string]any) { components(r)["kube-vip"] = "v0.8.9" }))
	if err != nil {
		t.Fatalf("an unknown component is refused: %v", err)
	}
	if got := extra[0].Components["kube-vip"]; got != "v0.8.9" {
		t.Errorf("kube-vip = %q, want it kept", got)
	}
	a, b := NewIndex(plain, "plain"), NewIndex(extra, "extra")
	v := version.MustParse("v1.33.7+k3s1")
	for _, c := range []string{Etcd, Containerd, Traefik, Kubernetes} {
		if sa, sb := a.Span(v, c), b.Span(v, c); sa.Known != sb.Known || sa.Absent != sb.Absent || sa.Low.String() != sb.Low.String() || sa.High.String() != sb.High.String() {
			t.Errorf("%s: %v without the unknown component, %v with it", c, sa, sb)
		}
	}
}
