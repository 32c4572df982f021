package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-skew/kubectl-skew/test/sandbox"
)

// TestRBACReadsWhatItMay: a user who may list nodes and nothing else still gets a
// report; what it could not read (the kube-system pods that carry control-plane and
// kube-proxy versions) is reported as skipped, never as passed.
func TestRBACReadsWhatItMay(t *testing.T) {
	seed(t, "kubeadm")
	r := skew(t, "check", "--context", sandbox.ContextNodeReader, "-o", "json")
	if r.code == 1 {
		t.Fatalf("a user who may list nodes gets a report, not an error:\n%s", r)
	}
	var rep struct {
		APIVersion, Kind string
		Cluster          struct {
			Nodes   []json.RawMessage
			Skipped []struct{ What, Reason string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("-o json: %v\n%s", err, r)
	}
	if len(rep.Cluster.Nodes) != 6 {
		t.Errorf("nodes = %d, want 6", len(rep.Cluster.Nodes))
	}
	pods := false
	for _, s := range rep.Cluster.Skipped {
		if strings.Contains(s.What, "pods") && strings.Contains(strings.ToLower(s.Reason), "forbidden") {
			pods = true
		}
	}
	if !pods {
		t.Errorf("the forbidden kube-system pods are not reported as skipped: %+v\n%s", rep.Cluster.Skipped, r)
	}

	table := skew(t, "check", "--context", sandbox.ContextNodeReader)
	if !strings.Contains(strings.ToLower(table.stdout+table.stderr), "skipped") {
		t.Errorf("the table does not say what was skipped:\n%s", table)
	}
}

// TestRBACNoNodeList: without list on nodes there is nothing to check: exit 1 with one
// line that says forbidden.
func TestRBACNoNodeList(t *testing.T) {
	seed(t, "k3s-healthy-ha")
	r := skew(t, "check", "--context", sandbox.ContextNoAccess)
	oneLineError(t, r, 10*time.Second)
	if !strings.Contains(strings.ToLower(r.stderr), "forbidden") || !strings.Contains(r.stderr, "nodes") {
		t.Errorf("the error does not say that listing nodes is forbidden:\n%s", r)
	}
}
