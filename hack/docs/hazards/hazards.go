// Package hazards renders docs/hazards.md from the hop hazard table and the data
// beside it (pkg/skew/hazard): what each hazard reads and judges, the stepping stones
// the planner takes, and the feature gates SKEW906 knows. make docs writes it; a test
// fails when the committed page differs.
package hazards

import (
	"fmt"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/hazard"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Markdown renders docs/hazards.md.
func Markdown() string {
	var b strings.Builder
	b.WriteString(`# Hop hazards

<!-- Generated from pkg/skew/hazard/table.go by make docs. Do not edit. -->

Besides the skew policy and removed APIs, some K3s, RKE2 and Kubernetes hops break on
changes a distribution or Kubernetes made, several of them in a patch release. kubectl-skew
judges each hop of a path against the table below, from facts read once from the live
cluster (only the lists some hop needs, paginated). A list that is forbidden or not
served makes the hazard "skipped" with the reason: never a pass. A node-args annotation
that is not a JSON array of strings is named (a warning on that node), not fatal.

Hazards that a bundled component decides (etcd, Traefik and its chart, containerd,
ingress-nginx) are judged from the release data ([releases.md](releases.md)): from the
release each node runs now (or the containerd it reports) to the release the hop
installs, with no Kubernetes patch written by hand. A release the data does not know is
bounded by the known releases around it in its line (a component only moves forward
there); where that leaves the answer open, the hazard is reported as unknown for that
hop, with how to get newer data (` + "`--release-data`" + `), never assumed safe. A component
the notes list no version of is taken as open too where the other side has it.

Blocking hazards fail the upgrade's ` + "`hazards`" + ` preflight check, and block their hop in
` + "`kubectl skew plan`" + ` (exit 3), unless acknowledged with ` + "`--accept-hazard ID`" + `; the others
warn (` + "`--strict`" + ` makes them fail).
The IDs a run acknowledged are recorded on every Plan it writes (annotation
` + "`kubectl-skew.io/accepted-hazards`" + `), and ` + "`kubectl skew status`" + ` lists them under
ACCEPTED HAZARDS (` + "`acceptedHazards`" + ` in JSON).

Facts the entries read:

- ` + "`k3s.io/node-args` / `rke2.io/node-args`" + `: the arguments the node started with, config.yaml
  values included and secrets masked, a JSON array of strings written at every start
  (edits since the last start are invisible). Both ` + "`--flag value`" + ` and ` + "`--flag=value`" + ` occur.
- ` + "`status.nodeInfo`" + `: kubelet version, container runtime, kernel, OS image.
- Events on Nodes with reason ` + "`CgroupV1`" + ` (the kubelet's cgroup v1 warning).
- Objects in ` + "`traefik.containo.us`" + ` (when the group is served).
- Pod templates of Deployments, DaemonSets and StatefulSets, and Plans
  (` + "`upgrade.cattle.io/v1`" + `): node selectors, affinities, tolerations.
- ` + "`helm-install-*`" + ` Jobs in kube-system and Helm release Secrets in a ` + "`pending-*`" + ` state.
- ` + "`HelmChart`" + ` and ` + "`HelmChartConfig`" + ` in kube-system (` + "`helm.cattle.io/v1`" + `), their ` + "`valuesContent`" + ` read as
  YAML (a value that is not a YAML mapping is named, not fatal).
- Ingress annotations.

| ID | hazard | distributions | hop | severity | reads | fix | source |
|---|---|---|---|---|---|---|---|
`)
	for _, e := range hazard.Table {
		distros := "all"
		if len(e.Distros) > 0 {
			names := make([]string, len(e.Distros))
			for i, d := range e.Distros {
				names[i] = d.Name()
			}
			distros = strings.Join(names, ", ")
		}
		sev := string(e.Severity)
		if e.Blocking {
			sev += " (blocking)"
		}
		reads := make([]string, len(e.Needs))
		for i, n := range e.Needs {
			reads[i] = string(n)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n",
			e.ID, e.Title, distros, e.When, sev, strings.Join(reads, ", "), e.Fix, e.Source)
	}
	b.WriteString(`
## Stepping stones: the planner's business

`)
	for _, m := range hazard.Minimums(nil) {
		who := "every node"
		if m.EtcdOnly() {
			who = "every etcd member (servers with the etcd role, etcd-only ones included)"
		}
		fmt.Fprintf(&b, "- %s (%s): before a hop that brings it, %s runs a release that meets it.\n", m.ID(), m.What(), who)
	}
	b.WriteString(`
` + "`plan`" + ` and ` + "`upgrade`" + ` meet these. Where a node is below the minimum before a hop that
needs it, the path gets a stepping stone in front: the lagging agents alone to the servers'
version when the servers are fine (never an agent ahead of its control plane), else the
whole cluster to the newest release of the servers' minor (or of the next minor) that
meets the minimum, taken from the release data, and for SKEW902 also from the channel.
The plan says why each stone is there. Where no release meets it, where no channel server
is reachable for SKEW902, or with ` + "`--agents final`" + ` (no agent moves early), the command
refuses with one line naming the hazard, the nodes and what would do. A hop to a release
the data does not know gets a stone anyway when one exists (it is harmless). A path that
would take etcd from 3.6 back to 3.5 is refused. ` + "`--accept-hazard ID`" + ` lets the path go
on as it is, as the operator's own decision; the hop's hazard finding still says what is
at risk. Nodes no upgrade image can move (Windows agents, other architectures) are not
moved: the hazard names them at the hop.
`)
	b.WriteString("\nThe K3s patches SKEW902 reads (K3s's own code, not a component): " + joinVersions(hazard.NodeAuthzMinimums) + ".\n")
	b.WriteString(`
Not encoded: RKE2 has announced that it will stop shipping its ingress-nginx chart, but
no release that does so was published when this table was last checked, so no hop can be
said to bring it; SKEW909 covers the change of default and of the airgap images at v1.36.
`)
	b.WriteString(`
## Feature gates SKEW906 reads

A gate passed through node-args (` + "`--kubelet-arg=feature-gates=...`" + `, ` + "`--kube-apiserver-arg=...`" + `)
stops the process where it is locked to the other value ("cannot set feature gate") or gone
("unrecognized feature gate"), whatever value it has then. A removal is listed only where the
release that removed it is confirmed.

| gate | locked from | locked to | removed in | source |
|---|---|---|---|---|
`)
	for _, g := range hazard.FeatureGates {
		locked, removed := "-", "-"
		if g.LockedIn > 0 {
			locked = fmt.Sprintf("v1.%d", g.LockedIn)
		}
		if g.RemovedIn > 0 {
			removed = fmt.Sprintf("v1.%d", g.RemovedIn)
		}
		fmt.Fprintf(&b, "| %s | %s | %t | %s | %s |\n", g.Name, locked, g.LockedTo, removed, g.Source)
	}
	b.WriteString(`
SKEW912 in detail. K3s and RKE2 install the upstream Traefik chart with the values of the
` + "`HelmChartConfig` kube-system/traefik (`rke2-traefik` on RKE2)" + ` merged over their own; a
value the chart's ` + "`values.schema.json`" + ` rejects fails the ` + "`helm-install`" + ` Job. Chart v38
closed each ` + "`ports.<name>`" + ` entry and each ` + "`providers.<provider>`" + ` (unknown keys rejected);
v39 closed the root; v40 renamed ` + "`providers.kubernetesIngressNginx`" + ` to
` + "`kubernetesIngressNGINX`" + ` and dropped some keys (` + "`podSecurityPolicy`, `ports.<name>.tls`, `redirections`, `middlewares`" + `).
The allowed keys are those of the schemas at the chart's tags v38.0.0 and v40.0.0. The
release notes' tables name the Traefik each release ships, not its chart, and the Traefik
marks the chart in both distributions: chart 38 arrived with Traefik 3.6 (February 2026:
K3s v1.35.0+k3s3; RKE2 v1.33.7+rke2r3, v1.34.3+rke2r3, v1.35.0+rke2r3), chart 40 with
Traefik 3.7 (June 2026: RKE2 v1.33.13+rke2r1, v1.34.9+rke2r1, v1.35.6+rke2r1,
v1.36.2+rke2r1, whose notes warn of the rename; K3s v1.36.2+k3s1 likewise). A hop whose
Traefik crosses 3.7 is judged against v40, one crossing 3.6 against v38.
`)
	return b.String()
}

// joinVersions lists versions as the page writes them: "v1.31.5+k3s1, v1.30.9+k3s1".
func joinVersions(vs []version.Version) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = v.String()
	}
	return strings.Join(s, ", ")
}
