package cmdutil

import (
	"testing"
	"time"

	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
)

func TestDerived(t *testing.T) {
	base := &rest.Config{Host: "https://10.0.0.1:6443", QPS: 5, Burst: 10, Timeout: 30 * time.Second}
	orig, err := clientsFor(base)
	if err != nil {
		t.Fatal(err)
	}
	orig.Server = "https://lb.example:6443"
	tests := []struct {
		name    string
		tweaks  []func(*rest.Config)
		qps     float32
		burst   int
		timeout time.Duration
	}{
		{"none", nil, 5, 10, 30 * time.Second},
		{"own budget", []func(*rest.Config){OwnBudget}, 50, 100, 30 * time.Second},
		{"no timeout", []func(*rest.Config){NoTimeout}, 5, 10, 0},
		{"both", []func(*rest.Config){OwnBudget, NoTimeout}, 50, 100, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := orig.Derived(tt.tweaks...)
			if err != nil {
				t.Fatal(err)
			}
			if d.Config == base || d.Kube == nil || d.Dynamic == nil || d.Discovery == nil {
				t.Fatalf("derived clients share the config or lack a client: %+v", d)
			}
			if d.Config.QPS != tt.qps || d.Config.Burst != tt.burst || d.Config.Timeout != tt.timeout {
				t.Errorf("qps %v, burst %d, timeout %s; want %v, %d, %s", d.Config.QPS, d.Config.Burst, d.Config.Timeout, tt.qps, tt.burst, tt.timeout)
			}
			if d.Server != orig.Server || d.Config.Host != base.Host {
				t.Errorf("server %s, host %s: the identity changed", d.Server, d.Config.Host)
			}
			if base.QPS != 5 || base.Timeout != 30*time.Second {
				t.Errorf("the base config changed: %+v", base)
			}
		})
	}
	fakes := &Clients{Kube: fake.NewSimpleClientset()}
	if d, err := fakes.Derived(OwnBudget, NoTimeout); err != nil || d != fakes {
		t.Errorf("fake clients must come back as they are: %v, %v", d, err)
	}
}
