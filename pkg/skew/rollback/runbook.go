package rollback

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/etcdsnapshot"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/install"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Datastores.
const (
	DatastoreEtcd     = "etcd"
	DatastoreSQLite   = "sqlite"
	DatastoreExternal = "external"
)

// Datastore says where the cluster keeps its state: embedded etcd when a node
// carries the etcd role label, an external database when a server runs with
// --datastore-endpoint, else K3s's single-server SQLite.
func Datastore(d version.Distro, nodes []corev1.Node) string {
	external := false
	for i := range nodes {
		n := &nodes[i]
		if v, ok := n.Labels[cluster.LabelEtcd]; ok && v != "false" {
			return DatastoreEtcd
		}
		if cluster.RoleOf(n).IsServer() && install.HasFlag(install.NodeArgs(n, d), "--datastore-endpoint") {
			external = true
		}
	}
	if external {
		return DatastoreExternal
	}
	if d == version.RKE2 {
		return DatastoreEtcd // RKE2 has no SQLite
	}
	return DatastoreSQLite
}

// Input is what the runbook is built from.
type Input struct {
	Distro    version.Distro
	Namespace string
	// Failed is the hop's version; From the version to go back to.
	Failed    string
	From      version.Version
	Datastore string
	// Choice is the snapshot to restore (embedded etcd only).
	Choice *Choice
	Nodes  []corev1.Node
	Now    time.Time
}

type book struct {
	in    Input
	d     install.Spec
	r     *report.RollbackRunbook
	vars  map[string]bool
	check string
	nodes map[string]*corev1.Node
}

func (b *book) add(title, node, role string, cmds []string, check string) {
	st := report.RollbackStep{Number: len(b.r.Steps) + 1, Title: title, Node: node, Role: role, Commands: cmds, Check: check}
	if n := b.nodes[node]; n != nil {
		// The host runs the version the cluster saw, or already the one to go back to.
		st.HostVersions = []string{n.Status.NodeInfo.KubeletVersion}
		if n.Status.NodeInfo.KubeletVersion != b.in.From.String() {
			st.HostVersions = append(st.HostVersions, b.in.From.String())
		}
	}
	b.r.Steps = append(b.r.Steps, st)
}

// Check refuses what the runbook cannot be written for: no server, or a local
// snapshot on a node that is not a server of the cluster.
func Check(in Input) error {
	servers, _ := split(in.Nodes)
	if len(servers) == 0 {
		return fmt.Errorf("no server node in the cluster: the runbook restores on a server")
	}
	if in.Datastore == DatastoreEtcd && in.Choice == nil {
		return fmt.Errorf("no snapshot chosen for an etcd datastore")
	}
	if c := in.Choice; c != nil && c.Snapshot.S3 == nil {
		if f := firstServer(servers, c); f.Name != c.Snapshot.Node && cluster.Hostname(f) != c.Snapshot.Node {
			return fmt.Errorf("snapshot %s is a file on node %s, which is not a server of this cluster: copy it to a server and restore it there by hand (docs/upgrade.md)", c.Snapshot.Name, c.Snapshot.Node)
		}
	}
	return nil
}

// nodeCheck is the check that node is Ready on the version, run where kubectl works.
func (b *book) nodeCheck(node string) string {
	return fmt.Sprintf("%s get node %s -o jsonpath='{.status.nodeInfo.kubeletVersion} {.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}' prints \"%s True\"",
		b.check, install.Quote(node), b.in.From)
}

// Build writes the runbook for the cluster.
func Build(in Input) *report.RollbackRunbook {
	b := &book{in: in, d: install.SpecOf(in.Distro), r: report.NewRollbackRunbook(), vars: map[string]bool{}, nodes: map[string]*corev1.Node{}}
	for i := range in.Nodes {
		b.nodes[in.Nodes[i].Name] = &in.Nodes[i]
	}
	b.check = "kubectl"
	r := b.r
	r.Distro, r.From, r.Failed, r.Datastore = string(in.Distro), in.From.String(), in.Failed, in.Datastore
	servers, agents := split(in.Nodes)
	first := firstServer(servers, in.Choice)
	if first != nil {
		r.FirstServer = first.Name
	}
	b.add("Stop the upgrade: delete our Plans so that the controller starts no more Jobs", "", "",
		[]string{fmt.Sprintf("kubectl delete plans -n %s -l %s", in.Namespace, suc.OwnedSelector)},
		fmt.Sprintf("kubectl get plans -n %s -l %s prints no Plan", in.Namespace, suc.OwnedSelector))
	for _, s := range servers {
		b.add("Stop "+b.d.Bin+" on server "+s.Name, s.Name, "server",
			[]string{"systemctl stop " + b.d.ServerUnit, b.d.Bin + "-killall.sh"},
			fmt.Sprintf("systemctl is-active %s prints inactive, on every server, before the next step", b.d.ServerUnit))
	}
	switch in.Datastore {
	case DatastoreEtcd:
		b.etcd(first, servers)
	case DatastoreSQLite:
		b.sqlite(first)
	default:
		b.external(servers)
	}
	for _, a := range agents {
		if kv, err := version.Parse(a.Status.NodeInfo.KubeletVersion); err == nil && kv.Compare(in.From) <= 0 {
			r.Notes = append(r.Notes, fmt.Sprintf("agent %s still runs %s: nothing to do on it", a.Name, a.Status.NodeInfo.KubeletVersion))
			continue
		}
		args := install.NodeArgs(a, in.Distro)
		cmds, vars := install.ScriptCommand(in.Distro, in.From, false, args)
		b.need(vars)
		b.add(fmt.Sprintf("Agent %s (on %s): install %s and restart", a.Name, a.Status.NodeInfo.KubeletVersion, in.From), a.Name, "agent",
			append(cmds, "systemctl restart "+b.d.AgentUnit), b.nodeCheck(a.Name))
	}
	r.Verify = fmt.Sprintf("kubectl skew rollback --verify --expect-version %s --suc-namespace %s", in.From, in.Namespace)
	b.add("Verify the rollback", "", "", []string{r.Verify}, "it reports the rollback complete and exits 0")
	if len(b.vars) > 0 {
		names := make([]string, 0, len(b.vars))
		for v := range b.vars {
			names = append(names, v)
		}
		sort.Strings(names)
		where := "RKE2 keeps them in /etc/rancher/rke2/config.yaml"
		if in.Distro != version.RKE2 {
			where = "the K3s environment file, when there is one, is read first"
		}
		r.Notes = append(r.Notes, fmt.Sprintf("the cluster keeps secrets masked (node-args, ETCDSnapshotFile): export %s on the nodes before their steps (%s)", strings.Join(names, ", "), where))
	}
	return r
}

func (b *book) need(vars []string) {
	for _, v := range vars {
		b.vars[v] = true
	}
}

func (b *book) etcd(first *corev1.Node, servers []*corev1.Node) {
	in, c := b.in, b.in.Choice
	b.r.Snapshot = snapshotOf(c, in.Now)
	args := install.NodeArgs(first, b.in.Distro)
	cmds, vars := install.ScriptCommand(in.Distro, in.From, true, args)
	b.need(vars)
	restore := []string{"--cluster-reset", "--cluster-reset-restore-path=" + restorePath(c.Snapshot, install.DataDir(in.Distro, args))}
	if c.Snapshot.S3 != nil {
		restore = append(restore, s3Flags(c.Snapshot.S3)...)
	}
	if t := install.FlagValue(args, "--token", "-t"); t != "" {
		restore = append(restore, "--token", t)
	}
	if dir := install.FlagValue(args, "--data-dir", "-d"); dir != "" {
		restore = append(restore, "--data-dir", dir)
	}
	line, vars := install.ShellArgs(in.Distro, restore)
	b.need(vars)
	cmds = append(cmds, b.d.Bin+" server "+line)
	b.add(fmt.Sprintf("Server %s: install %s, restore snapshot %s, start", first.Name, in.From, c.Snapshot.Name), first.Name, "server",
		append(cmds, "systemctl start "+b.d.ServerUnit), b.nodeCheck(first.Name))
	// The snapshot Plan was created before the snapshot, so the restore brings it back.
	b.add("Delete the Plans the snapshot brought back (ours created before it, such as the snapshot Plan)", "", "",
		[]string{fmt.Sprintf("kubectl delete plans -n %s -l %s", in.Namespace, suc.OwnedSelector)},
		fmt.Sprintf("kubectl get plans -n %s -l %s prints no Plan", in.Namespace, suc.OwnedSelector))
	for _, s := range servers {
		if s == first {
			continue
		}
		sargs := install.NodeArgs(s, b.in.Distro)
		db := install.Quote(install.DataDir(in.Distro, sargs) + "/server/db")
		cmds, vars := install.ScriptCommand(in.Distro, in.From, true, sargs)
		b.need(vars)
		b.add(fmt.Sprintf("Server %s: set its datastore aside, install %s, start (it joins the restored cluster)", s.Name, in.From), s.Name, "server",
			append([]string{fmt.Sprintf("if [ -d %[1]s ]; then mv %[1]s %[1]s%[2]s; fi", db, install.Quote("-before-rollback-"+in.Now.UTC().Format("20060102T150405Z")))}, append(cmds, "systemctl start "+b.d.ServerUnit)...),
			b.nodeCheck(s.Name))
	}
}

func (b *book) sqlite(first *corev1.Node) {
	dir := install.DataDir(b.in.Distro, install.NodeArgs(first, b.in.Distro)) + "/server"
	cmds, vars := install.ScriptCommand(b.in.Distro, b.in.From, true, install.NodeArgs(first, b.in.Distro))
	b.need(vars)
	b.r.Notes = append(b.r.Notes, fmt.Sprintf("SQLite has no etcd snapshots: the rollback needs the copy of %s taken before the upgrade (K3s's documented backup for SQLite)", dir))
	b.add(fmt.Sprintf("Server %s: put back the copy of %s taken before the upgrade, install %s, start", first.Name, dir, b.in.From), first.Name, "server",
		append([]string{fmt.Sprintf(`test -d "${BACKUP:?set BACKUP to the copy of %s taken before the upgrade}"`, messageWord(dir, "the server directory")),
			fmt.Sprintf("mv %[1]s %[1]s%[2]s", install.Quote(dir), install.Quote("-before-rollback-"+b.in.Now.UTC().Format("20060102T150405Z"))),
			fmt.Sprintf(`cp -a "$BACKUP" %s`, install.Quote(dir))}, append(cmds, "systemctl start "+b.d.ServerUnit)...),
		b.nodeCheck(first.Name))
}

func (b *book) external(servers []*corev1.Node) {
	b.r.Notes = append(b.r.Notes, "the datastore is an external database: restore it with the database's own tools to the backup taken before the upgrade; K3s keeps nothing to restore")
	b.add("Restore the external database to its backup from before the upgrade", "", "",
		[]string{"# with the database's own tools (pg_restore, mysql, etcdctl snapshot restore, ...)"},
		"the database serves the restored data")
	for _, s := range servers {
		cmds, vars := install.ScriptCommand(b.in.Distro, b.in.From, true, install.NodeArgs(s, b.in.Distro))
		b.need(vars)
		b.add(fmt.Sprintf("Server %s: install %s, start", s.Name, b.in.From), s.Name, "server", append(cmds, "systemctl start "+b.d.ServerUnit), b.nodeCheck(s.Name))
	}
}

// messageWord is s where it needs no quoting (inside the word of "${BACKUP:?...}"
// quotes do not nest and $ and backquotes expand), else what stands for it: the
// node writes --data-dir, and a value with shell syntax in it stays out of the line.
func messageWord(s, instead string) string {
	if install.Quote(s) != s {
		return instead
	}
	return s
}

// restorePath is --cluster-reset-restore-path: the snapshot file on the node, or
// its name in S3.
func restorePath(s etcdsnapshot.Snapshot, dataDir string) string {
	if p, ok := strings.CutPrefix(s.Location, "file://"); ok && s.S3 == nil {
		return p
	}
	if s.S3 != nil {
		return s.Name
	}
	return dataDir + "/server/db/snapshots/" + s.Name
}

// s3Flags are the --etcd-s3-* flags that reach the bucket; the keys are not in
// the ETCDSnapshotFile and come from the environment.
func s3Flags(s *etcdsnapshot.S3) []string {
	out := []string{"--etcd-s3", "--etcd-s3-bucket=" + s.Bucket}
	for _, f := range [][2]string{{"endpoint", s.Endpoint}, {"region", s.Region}, {"folder", s.Prefix}} {
		if f[1] != "" {
			out = append(out, "--etcd-s3-"+f[0]+"="+f[1])
		}
	}
	if s.Insecure {
		out = append(out, "--etcd-s3-insecure")
	}
	if s.SkipSSLVerify {
		out = append(out, "--etcd-s3-skip-ssl-verify")
	}
	return append(out, "--etcd-s3-access-key="+masked, "--etcd-s3-secret-key="+masked)
}

func snapshotOf(c *Choice, now time.Time) *report.RollbackSnapshot {
	s := c.Snapshot
	out := &report.RollbackSnapshot{Object: s.Object, Name: s.Name, Node: s.Node, Location: s.Location, Size: s.Size,
		Created: s.Created.UTC().Format(time.RFC3339), Age: now.Sub(s.Created).Round(time.Second).String(), Recorded: c.Recorded}
	if s.S3 != nil {
		out.Bucket = s.S3.Bucket
	}
	return out
}

// split sorts the nodes into servers and agents, by name.
func split(nodes []corev1.Node) (servers, agents []*corev1.Node) {
	for i := range nodes {
		if cluster.RoleOf(&nodes[i]).IsServer() {
			servers = append(servers, &nodes[i])
		} else {
			agents = append(agents, &nodes[i])
		}
	}
	by := func(l []*corev1.Node) { sort.Slice(l, func(i, j int) bool { return l[i].Name < l[j].Name }) }
	by(servers)
	by(agents)
	return servers, agents
}

// firstServer is where the restore runs: the server holding a local snapshot,
// else (S3, SQLite, external) the first server by name.
func firstServer(servers []*corev1.Node, c *Choice) *corev1.Node {
	if len(servers) == 0 {
		return nil
	}
	if c != nil && c.Snapshot.S3 == nil {
		for _, s := range servers {
			if s.Name == c.Snapshot.Node || cluster.Hostname(s) == c.Snapshot.Node {
				return s
			}
		}
	}
	return servers[0]
}
