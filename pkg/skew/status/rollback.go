package status

import (
	"fmt"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/install"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Rollback is how to go back to from, the hop's previous version, on the distro:
// downgrades are not supported, so the way back is the etcd snapshot taken before
// the hop (one taken on from: an older one holds another minor, which from cannot
// restore), restored with that release installed.
func Rollback(d version.Distro, from string, snap *report.StatusSnapshot) []string {
	if from == "" {
		from = "<the previous version>"
	}
	spec := install.SpecOf(d)
	bin, svc, agentSvc, installer, envVar := spec.Bin, spec.ServerUnit, spec.AgentUnit, spec.Installer, spec.VersionVar
	dir := "/var/lib/rancher/" + bin + "/server/db"
	snapName := "the newest snapshot taken before this hop started (" + bin + " etcd-snapshot ls; one taken on " + from + ")"
	first := "the server that took it"
	if snap != nil {
		snapName = fmt.Sprintf("snapshot %s (its file is %s/snapshots/%s-%s-<timestamp>)", snap.Name, dir, snap.Name, strings.SplitN(snap.Node, ".", 2)[0])
		first = snap.Node
	}
	return []string{
		fmt.Sprintf("Downgrades are not supported: roll back by restoring %s with %s; kubectl skew rollback prints these steps for this cluster, exact (--output-dir writes them as scripts).", snapName, from),
		fmt.Sprintf("Stop the upgrade first: kubectl delete plans -n <suc-namespace> -l %s", suc.OwnedSelector),
		fmt.Sprintf("On every server: systemctl stop %s", svc),
		fmt.Sprintf("On %s: curl -sfL %s | %s=%s INSTALL_%s_SKIP_START=true sh -, then %s server --cluster-reset --cluster-reset-restore-path=<snapshot file>, then systemctl start %s",
			first, installer, envVar, from, strings.ToUpper(bin), bin, svc),
		fmt.Sprintf("On the other servers: rm -rf %s, reinstall %s the same way, then systemctl start %s", dir, from, svc),
		fmt.Sprintf("On agents already upgraded: reinstall %s (curl -sfL %s | %s=%s sh -) and systemctl restart %s", from, installer, envVar, from, agentSvc),
	}
}
