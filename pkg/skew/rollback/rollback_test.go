package rollback

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/etcdsnapshot"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
	"github.com/kubectl-skew/kubectl-skew/pkg/table"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// hopPlans are the server and agent Plans of the hop from -> to, created at.
func hopPlans(d version.Distro, from, to string, at time.Time, snapshot bool) []upgradev1.Plan {
	f, v := version.MustParse(from), version.MustParse(to)
	h := upgradepath.Hop{To: v, From: f, Servers: []upgradepath.NodeStep{{Name: "s-1", Hostname: "s-1", From: f}}}
	rec := suc.Record{Target: v, Path: []string{to}}
	if snapshot {
		rec.Snapshot, rec.SnapshotNode = suc.SnapshotName(f), "s-1"
	}
	s := suc.ServerPlan(d, h, rec, suc.DefaultPlanConfig())
	a := suc.AgentPlan(d, h, s.Name, rec, suc.DefaultPlanConfig())
	out := []upgradev1.Plan{*s, *a}
	if snapshot {
		out = append(out, *suc.SnapshotPlan(d, h.Servers[0], f, rec.Snapshot, suc.DefaultPlanConfig()))
	}
	for i := range out {
		out[i].CreationTimestamp = metav1.NewTime(at)
	}
	return out
}

func snap(name string, at time.Time) etcdsnapshot.Snapshot {
	return etcdsnapshot.Snapshot{Object: "local-" + name, Name: name, Node: "s-1", Location: "file:///var/lib/rancher/k3s/server/db/snapshots/" + name, Created: at, Size: "12Mi"}
}

func TestChoose(t *testing.T) {
	hop1 := hopPlans(version.K3s, "v1.30.14+k3s1", "v1.31.13+k3s1", t0, false)
	hop2 := append(hop1, hopPlans(version.K3s, "v1.31.13+k3s1", "v1.32.9+k3s1", t0.Add(time.Hour), false)...)
	recordedPlans := hopPlans(version.K3s, "v1.30.14+k3s1", "v1.31.13+k3s1", t0, true)
	recName := suc.SnapshotName(version.MustParse("v1.30.14+k3s1"))
	tests := []struct {
		name    string
		plans   []upgradev1.Plan
		hop     string
		snaps   []etcdsnapshot.Snapshot
		want    string // snapshot name, or "" for an error
		version string
		err     string
	}{
		{"recorded wins over a newer one", recordedPlans, "v1.31.13+k3s1",
			[]etcdsnapshot.Snapshot{snap("etcd-snapshot-s-1-1", t0.Add(-time.Minute)), snap(recName+"-s-1-1764583000", t0.Add(-time.Hour))},
			recName + "-s-1-1764583000", "v1.30.14+k3s1", ""},
		{"recorded on the upgrade Plans only", recordedPlans[:2], "v1.31.13+k3s1",
			[]etcdsnapshot.Snapshot{snap(recName+"-s-1-1764583000", t0.Add(-time.Hour))}, recName + "-s-1-1764583000", "v1.30.14+k3s1", ""},
		{"recorded but missing", recordedPlans, "v1.31.13+k3s1", []etcdsnapshot.Snapshot{snap("etcd-snapshot-s-1-1", t0.Add(-time.Minute))}, "", "", "no ready ETCDSnapshotFile"},
		{"newest before the hop's first Plan", hop1, "v1.31.13+k3s1",
			[]etcdsnapshot.Snapshot{snap("after", t0.Add(time.Minute)), snap("before", t0.Add(-time.Minute)), snap("older", t0.Add(-time.Hour))},
			"before", "v1.30.14+k3s1", ""},
		{"none before", hop1, "v1.31.13+k3s1", []etcdsnapshot.Snapshot{snap("after", t0.Add(time.Minute))}, "", "", "no ready etcd snapshot was taken before the hop"},
		{"no snapshots at all", hop1, "v1.31.13+k3s1", nil, "", "", "no ready etcd snapshot"},
		{"second hop: snapshot during the first", hop2, "v1.32.9+k3s1",
			[]etcdsnapshot.Snapshot{snap("mid", t0.Add(30*time.Minute))}, "mid", "v1.31.13+k3s1", ""},
		{"second hop: newest predates the first hop (another minor)", hop2, "v1.32.9+k3s1",
			[]etcdsnapshot.Snapshot{snap("old", t0.Add(-time.Minute))}, "", "", "another minor than v1.31"},
		{"hop not ours", hop1, "v1.40.0+k3s1", nil, "", "", "no Plan of ours"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Choose(tt.plans, tt.hop, tt.snaps)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("err = %v, want one line with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Snapshot.Name != tt.want || c.Version.String() != tt.version {
				t.Errorf("chose %s on %s, want %s on %s", c.Snapshot.Name, c.Version, tt.want, tt.version)
			}
		})
	}
}

func node(name, v string, server bool, args string) corev1.Node {
	n := corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{cluster.LabelHostname: name}, Annotations: map[string]string{}}}
	if server {
		n.Labels[cluster.LabelControlPlane] = "true"
	}
	if args != "" {
		key := cluster.AnnotationK3sArgs
		if strings.Contains(v, "rke2") {
			key = cluster.AnnotationRKEArgs
		}
		n.Annotations[key] = args
	}
	n.Status.NodeInfo.KubeletVersion = v
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
	return n
}

func etcdNodes(nodes []corev1.Node) []corev1.Node {
	for i := range nodes {
		if cluster.RoleOf(&nodes[i]).IsServer() {
			nodes[i].Labels[cluster.LabelEtcd] = "true"
		}
	}
	return nodes
}

func k3sHA() []corev1.Node {
	return etcdNodes([]corev1.Node{
		node("s-1", "v1.31.13+k3s1", true, `["server","--cluster-init","--token","********","--tls-san","k3s.example.com"]`),
		node("s-2", "v1.31.13+k3s1", true, `["server","--server","https://10.0.0.1:6443","--token","********"]`),
		node("s-3", "v1.30.14+k3s1", true, `["server","--server","https://10.0.0.1:6443","--token","********"]`),
		node("a-1", "v1.31.13+k3s1", false, `["agent"]`),
		node("a-2", "v1.30.14+k3s1", false, `["agent"]`),
	})
}

func TestDatastore(t *testing.T) {
	tests := []struct {
		name  string
		d     version.Distro
		nodes []corev1.Node
		want  string
	}{
		{"etcd label", version.K3s, k3sHA(), DatastoreEtcd},
		{"single server sqlite", version.K3s, []corev1.Node{node("s-1", "v1.31.13+k3s1", true, `["server"]`)}, DatastoreSQLite},
		{"external", version.K3s, []corev1.Node{node("s-1", "v1.31.13+k3s1", true, `["server","--datastore-endpoint","********"]`)}, DatastoreExternal},
		{"rke2 without labels", version.RKE2, []corev1.Node{node("s-1", "v1.31.13+rke2r1", true, "")}, DatastoreEtcd},
	}
	for _, tt := range tests {
		if got := Datastore(tt.d, tt.nodes); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}

func s3Snap() etcdsnapshot.Snapshot {
	s := snap("kubectl-skew-pre-upgrade-v1.30.14-rke2r1-s-1-1764583000", t0.Add(-time.Hour))
	s.Object, s.Node = "s3-kubectl-skew-pre-upgrade-v1.30.14-rke2r1-s-1-1764583000-1a2b3", "s-1"
	s.Location = "s3://backups/rke2/" + s.Name
	s.S3 = &etcdsnapshot.S3{Bucket: "backups", Endpoint: "s3.example.com", Region: "eu-west-1", Prefix: "rke2"}
	return s
}

// runbooks are the cases of the golden test: each distro, local and S3, SQLite.
func runbooks() map[string]Input {
	from := version.MustParse("v1.30.14+k3s1")
	rkeFrom := version.MustParse("v1.30.14+rke2r1")
	local := snap("kubectl-skew-pre-upgrade-v1.30.14-k3s1-s-1-1764583000", t0.Add(-time.Hour))
	rke := etcdNodes([]corev1.Node{
		node("s-1", "v1.31.13+rke2r1", true, `["server"]`),
		node("s-2", "v1.31.13+rke2r1", true, `["server"]`),
		node("a-1", "v1.31.13+rke2r1", false, `["agent"]`),
	})
	return map[string]Input{
		"k3s-local": {Distro: version.K3s, Namespace: "system-upgrade", Failed: "v1.31.13+k3s1", From: from, Datastore: DatastoreEtcd,
			Choice: &Choice{Snapshot: local, Version: from, Recorded: true}, Nodes: k3sHA(), Now: t0},
		"rke2-s3": {Distro: version.RKE2, Namespace: "system-upgrade", Failed: "v1.31.13+rke2r1", From: rkeFrom, Datastore: DatastoreEtcd,
			Choice: &Choice{Snapshot: s3Snap(), Version: rkeFrom}, Nodes: rke, Now: t0},
		"k3s-sqlite": {Distro: version.K3s, Namespace: "system-upgrade", Failed: "v1.31.13+k3s1", From: from, Datastore: DatastoreSQLite,
			Nodes: []corev1.Node{node("s-1", "v1.31.13+k3s1", true, `["server","--write-kubeconfig-mode","0644"]`), node("a-1", "v1.31.13+k3s1", false, "")}, Now: t0},
	}
}

func TestRunbookGolden(t *testing.T) {
	for name, in := range runbooks() {
		t.Run(name, func(t *testing.T) {
			if err := Check(in); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			table.WriteRollbackRunbook(&buf, Build(in))
			golden(t, name+".txt", buf.Bytes())
		})
	}
}

func TestRunbookSteps(t *testing.T) {
	in := runbooks()
	r := Build(in["k3s-local"])
	if r.FirstServer != "s-1" || r.Snapshot == nil || r.Snapshot.Object == "" {
		t.Fatalf("first server %q, snapshot %+v", r.FirstServer, r.Snapshot)
	}
	var titles []string
	for _, st := range r.Steps {
		titles = append(titles, st.Node+":"+st.Title)
		if st.Check == "" {
			t.Errorf("step %d has no check", st.Number)
		}
	}
	all := strings.Join(titles, "\n")
	for _, want := range []string{":Stop the upgrade", "s-1:Stop k3s", "s-3:Stop k3s", "s-1:Server s-1: install", "s-2:Server s-2: set its datastore aside", "a-1:Agent a-1"} {
		if !strings.Contains(all, want) {
			t.Errorf("no step %q in\n%s", want, all)
		}
	}
	if strings.Contains(all, "a-2:") {
		t.Errorf("agent a-2 was never upgraded, yet has a step:\n%s", all)
	}
	restore := strings.Join(r.Steps[4].Commands, "\n")
	for _, want := range []string{"--cluster-reset-restore-path=/var/lib/rancher/k3s/server/db/snapshots/kubectl-skew-pre-upgrade-v1.30.14-k3s1-s-1-1764583000",
		`INSTALL_K3S_VERSION=v1.30.14+k3s1`, `--tls-san k3s.example.com`, `${K3S_TOKEN:?`} {
		if !strings.Contains(restore, want) {
			t.Errorf("restore step lacks %q:\n%s", want, restore)
		}
	}
	s3 := Build(in["rke2-s3"])
	cmds := ""
	for _, st := range s3.Steps {
		cmds += strings.Join(st.Commands, "\n")
	}
	for _, want := range []string{"--etcd-s3-bucket=backups", "--etcd-s3-folder=rke2", "--cluster-reset-restore-path=kubectl-skew-pre-upgrade-v1.30.14-rke2r1-s-1-1764583000", "RKE2_ETCD_S3_SECRET_KEY", "INSTALL_RKE2_TYPE=server"} {
		if !strings.Contains(cmds, want) {
			t.Errorf("rke2 S3 runbook lacks %q", want)
		}
	}
}

func TestCheck(t *testing.T) {
	in := runbooks()["k3s-local"]
	in.Choice = &Choice{Snapshot: snap("x", t0), Version: in.From}
	in.Choice.Snapshot.Node = "gone"
	if err := Check(in); err == nil || !strings.Contains(err.Error(), "not a server") {
		t.Errorf("err = %v", err)
	}
	in.Nodes = nil
	if err := Check(in); err == nil {
		t.Error("no servers accepted")
	}
}

func TestScripts(t *testing.T) {
	files := Scripts(Build(runbooks()["k3s-local"]), "runbook\n")
	for _, name := range []string{"cluster.sh", "s-1.sh", "s-2.sh", "s-3.sh", "a-1.sh", "RUNBOOK.txt"} {
		if _, ok := files[name]; !ok {
			t.Errorf("no %s among %v", name, keys(files))
		}
	}
	s := files["s-2.sh"]
	for _, want := range []string{"set -euo pipefail", "systemctl cat k3s.service", "v1.30.14+k3s1|v1.31.13+k3s1)", "mv /var/lib/rancher/k3s/server/db"} {
		if !strings.Contains(s, want) {
			t.Errorf("s-2.sh lacks %q:\n%s", want, s)
		}
	}
	if !strings.Contains(files["a-1.sh"], "systemctl cat k3s-agent.service") {
		t.Errorf("a-1.sh does not check for the agent unit:\n%s", files["a-1.sh"])
	}
	golden(t, "k3s-local-s-1.sh", []byte(files["s-1.sh"]))
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestVerify(t *testing.T) {
	expect := version.MustParse("v1.30.14+k3s1")
	back := func() []corev1.Node {
		return etcdNodes([]corev1.Node{node("s-1", "v1.30.14+k3s1", true, ""), node("a-1", "v1.30.14+k3s1", false, "")})
	}
	half := back()
	half[1].Status.NodeInfo.KubeletVersion = "v1.31.13+k3s1"
	notReady := back()
	notReady[0].Status.Conditions[0].Status = corev1.ConditionFalse
	before := etcdNodes([]corev1.Node{node("s-1", "v1.31.13+k3s1", true, ""), node("a-1", "v1.31.13+k3s1", false, "")})
	plans := hopPlans(version.K3s, "v1.30.14+k3s1", "v1.31.13+k3s1", t0, false)
	tests := []struct {
		name    string
		nodes   []corev1.Node
		plans   []upgradev1.Plan
		state   string
		problem string
	}{
		{"complete", back(), nil, report.RollbackComplete, ""},
		{"agent still upgraded", half, nil, report.RollbackPartial, "a-1: kubelet reports v1.31.13+k3s1"},
		{"server not ready", notReady, nil, report.RollbackPartial, "s-1: not Ready"},
		{"plans left: not restored", before, plans, report.RollbackNotStarted, "s-1: kubelet reports v1.31.13+k3s1"},
		{"nodes back but plans left", back(), plans, report.RollbackPartial, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Verify(expect, tt.nodes, nil, tt.plans)
			if r.State != tt.state {
				t.Errorf("state %s, want %s", r.State, tt.state)
			}
			var got []string
			for _, n := range r.Nodes {
				for _, p := range n.Problems {
					got = append(got, n.Name+": "+p)
				}
			}
			if tt.problem != "" && !strings.Contains(strings.Join(got, "\n"), tt.problem) {
				t.Errorf("problems %v lack %q", got, tt.problem)
			}
			var buf bytes.Buffer
			table.WriteRollbackVerify(&buf, r)
			if buf.Len() == 0 {
				t.Error("nothing printed")
			}
		})
	}
}

// TestVerifyRKE2StaticPods: an RKE2 server whose kubelet is back but whose
// kube-apiserver mirror pod still shows the newer image is not back.
func TestVerifyRKE2StaticPods(t *testing.T) {
	expect := version.MustParse("v1.30.14+rke2r1")
	nodes := etcdNodes([]corev1.Node{node("s-1", "v1.30.14+rke2r1", true, `["server"]`)})
	pod := func(tag string) []corev1.Pod {
		return []corev1.Pod{{
			ObjectMeta: metav1.ObjectMeta{Name: "kube-apiserver-s-1", Namespace: "kube-system", Labels: map[string]string{"component": "kube-apiserver"},
				Annotations: map[string]string{corev1.MirrorPodAnnotationKey: "x"}},
			Spec: corev1.PodSpec{NodeName: "s-1", Containers: []corev1.Container{{Name: "kube-apiserver", Image: "index.docker.io/rancher/hardened-kubernetes:" + tag}}},
		}}
	}
	if r := Verify(expect, nodes, pod("v1.30.14-rke2r1-build20250716"), nil); r.State != report.RollbackComplete {
		t.Errorf("apiserver on the version: %s %+v", r.State, r.Nodes)
	}
	r := Verify(expect, nodes, pod("v1.31.13-rke2r1-build20250917"), nil)
	if r.State != report.RollbackPartial || len(r.Nodes[0].Problems) != 1 || !strings.Contains(r.Nodes[0].Problems[0], "kube-apiserver runs v1.31.13") {
		t.Errorf("apiserver still on the newer version: %s %+v", r.State, r.Nodes)
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n%s", path, got)
	}
}

// TestScriptsParse runs bash -n over every script of every runbook.
func TestScriptsParse(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	for name, in := range runbooks() {
		for file, body := range Scripts(Build(in), "") {
			if !strings.HasSuffix(file, ".sh") {
				continue
			}
			cmd := exec.Command(bash, "-n")
			cmd.Stdin = strings.NewReader(body)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s/%s: %v\n%s\n%s", name, file, err, out, body)
			}
		}
	}
}

// FuzzNodeArgs: whatever node-args holds, the runbook is built without a panic, a
// masked value never reaches a command as such, and every script still parses.
func FuzzNodeArgs(f *testing.F) {
	f.Add(`["server","--token","********","--tls-san","a b'c"]`)
	f.Add(`["agent","--node-label=x=$(id)","--token=********"]`)
	f.Add(`["server","--data-dir","/srv/k3s","-d"]`)
	f.Add(`not json`)
	f.Fuzz(func(t *testing.T, args string) {
		in := runbooks()["k3s-local"]
		for i := range in.Nodes {
			in.Nodes[i].Annotations[cluster.AnnotationK3sArgs] = args
		}
		r := Build(in)
		var list []string
		_ = json.Unmarshal([]byte(args), &list)
		for _, a := range list {
			if strings.Contains(a, masked) && a != masked && !strings.HasSuffix(a, "="+masked) {
				return // asterisks of the user's own, not K3s's mask
			}
		}
		for _, st := range r.Steps {
			for _, c := range st.Commands {
				if strings.Contains(c, " "+masked) || strings.Contains(c, "="+masked) {
					t.Fatalf("masked value in %q", c)
				}
			}
		}
	})
}
