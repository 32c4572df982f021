package cmdutil_test

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
)

func TestRancherFlagsComplete(t *testing.T) {
	for _, tc := range []struct {
		arg             string
		namespace, name string
		ref             string
		err             string
	}{
		{"", "", "", "", ""},
		{"prod-east", "fleet-default", "prod-east", "fleet-default/prod-east", ""},
		{"fleet-default/prod-east", "fleet-default", "prod-east", "fleet-default/prod-east", ""},
		{"team-a/edge", "team-a", "edge", "team-a/edge", ""},
		{"c-m-abc12345", "fleet-default", "c-m-abc12345", "fleet-default/c-m-abc12345", ""},
		{"a/b/c", "", "", "", `--rancher-cluster "a/b/c": use NAMESPACE/NAME, such as fleet-default/prod-east`},
		{"/x", "", "", "", `--rancher-cluster "/x": use NAMESPACE/NAME`},
		{"x/", "", "", "", `--rancher-cluster "x/": use NAMESPACE/NAME`},
	} {
		t.Run(tc.arg, func(t *testing.T) {
			r := &cmdutil.RancherFlags{}
			cmd := &cobra.Command{Use: "test"}
			r.AddFlags(cmd)
			if tc.arg != "" {
				if err := cmd.ParseFlags([]string{"--rancher-cluster", tc.arg}); err != nil {
					t.Fatal(err)
				}
			}
			err := r.Complete()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Complete = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Namespace != tc.namespace || r.Name != tc.name || (r.Enabled() && r.Ref() != tc.ref) || r.Enabled() != (tc.arg != "") {
				t.Errorf("namespace %q name %q ref %q enabled %v", r.Namespace, r.Name, r.Ref(), r.Enabled())
			}
		})
	}
}

func TestRancherFlagsWithoutFiles(t *testing.T) {
	off := &cmdutil.RancherFlags{}
	on := &cmdutil.RancherFlags{Cluster: "fleet-default/x"}
	if err := on.Complete(); err != nil {
		t.Fatal(err)
	}
	if err := off.WithoutFiles([]string{"deploy.yaml"}); err != nil {
		t.Errorf("without --rancher-cluster -f is fine: %v", err)
	}
	if err := on.WithoutFiles(nil); err != nil {
		t.Errorf("--rancher-cluster without -f is fine: %v", err)
	}
	if err := on.WithoutFiles([]string{"deploy.yaml"}); err == nil || !strings.Contains(err.Error(), "-f needs the downstream cluster's own kubeconfig") {
		t.Errorf("-f with --rancher-cluster = %v", err)
	}
}
