package rollback

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/access"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/etcdsnapshot"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/preflight"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rollback"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/runrecord"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/status"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
	"github.com/kubectl-skew/kubectl-skew/pkg/table"
)

// sucRollback is rollback without --rancher-cluster: the runbook for a cluster the
// system-upgrade-controller upgraded, and its verification. It only reads.
type sucRollback struct {
	Namespace string
	out       *cmdutil.OutputFlags
	OutputDir string
	Verify    bool
	Expect    string
	expect    version.Version
}

func (s *sucRollback) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&s.Namespace, "suc-namespace", s.Namespace, "Namespace of the system-upgrade-controller and our Plans")
	f.StringVar(&s.OutputDir, "output-dir", "", "Also write the runbook as one shell script per node, and RUNBOOK.txt, into this directory")
	f.BoolVar(&s.Verify, "verify", false, "Check a rollback from the nodes instead of writing the runbook (needs --expect-version)")
	f.StringVar(&s.Expect, "expect-version", "", "With --verify: the version the runbook rolled back to (the restore removed every record of it from the cluster)")
	s.out.AddFlags(cmd)
}

func (s *sucRollback) set() bool {
	return s.Verify || s.Expect != "" || s.OutputDir != "" || s.out.Format != "" || s.Namespace != suc.DefaultNamespace
}

func (s *sucRollback) Validate() error {
	if err := s.out.Validate(); err != nil {
		return err
	}
	if s.Verify != (s.Expect != "") {
		return errors.New("--verify and --expect-version go together: give the version the runbook rolled back to, such as --verify --expect-version v1.30.14+k3s1")
	}
	if s.Verify && s.OutputDir != "" {
		return errors.New("--output-dir writes the runbook; --verify checks its result: use one")
	}
	if s.Expect != "" {
		v, err := version.Parse(s.Expect)
		if err != nil {
			return fmt.Errorf("--expect-version %q: %v; give a full version such as v1.30.14+k3s1", s.Expect, err)
		}
		s.expect = v
	}
	return nil
}

// verifyError ends --verify when the rollback is not complete: the verdict is printed.
type verifyError struct{ state string }

func (e *verifyError) Error() string { return "rollback " + e.state }

// ExitCode: not started is a finding, half done has its own code.
func (e *verifyError) ExitCode() int {
	if e.state == report.RollbackPartial {
		return cmdutil.ExitPartial
	}
	return cmdutil.ExitFindings
}

func (s *sucRollback) Run(ctx context.Context, env *cmdutil.Env) error {
	c, err := env.Clients()
	if err != nil {
		return err
	}
	if c.Dynamic == nil {
		return fmt.Errorf("rollback needs a dynamic client")
	}
	o := access.Options{SUCNamespace: s.Namespace}
	if !s.Verify {
		o.Features = []access.Feature{access.Runbook}
	}
	if err := cmdutil.RequireAccess(ctx, c, "rollback", o); err != nil {
		return err
	}
	plans := &suc.Client{Dynamic: c.Dynamic, Namespace: s.Namespace}
	if s.Verify {
		return s.verify(ctx, env, c, plans)
	}
	in, err := status.Read(ctx, c.Kube, plans)
	if err != nil {
		if served, derr := cluster.Served(c.Discovery, suc.PlanResource); derr == nil && !served {
			return fmt.Errorf("no Plan API in this cluster (upgrade.cattle.io/v1 is not served): no upgrade by the system-upgrade-controller to roll back; %s", preflight.SUCInstallHint)
		}
		return cmdutil.APIError("read the upgrade", c.Server, cmdutil.UnwrapAPI(err))
	}
	tgt, nodes, err := s.target(ctx, env, c, in)
	if err != nil {
		return err
	}
	var snaps []etcdsnapshot.Snapshot
	if tgt.NeedsSnapshots(nodes) {
		if snaps, err = s.snapshots(ctx, c); err != nil {
			return err
		}
	}
	rin, err := tgt.Input(s.Namespace, nodes, snaps, time.Now())
	if err != nil {
		return err
	}
	if err := rollback.Check(rin); err != nil {
		return err
	}
	r := rollback.Build(rin)
	if s.OutputDir != "" {
		var text strings.Builder
		table.WriteRollbackRunbook(&text, r)
		if err := writeScripts(s.OutputDir, rollback.Scripts(r, text.String())); err != nil {
			return err
		}
	}
	w := env.Streams.Out
	if s.out.Structured() {
		return s.out.Print(w, r)
	}
	table.WriteRollbackRunbook(w, r)
	if s.OutputDir != "" {
		fmt.Fprintf(w, "\nScripts written to %s: run ./NODE.sh STEP on each node, in the order above (RUNBOOK.txt has it).\n", s.OutputDir)
	}
	return nil
}

// snapshots are the cluster's etcd snapshots, as ETCDSnapshotFiles.
func (s *sucRollback) snapshots(ctx context.Context, c *cmdutil.Clients) ([]etcdsnapshot.Snapshot, error) {
	served, err := etcdsnapshot.Served(c.Discovery)
	if err != nil {
		return nil, cmdutil.APIError("discover the ETCDSnapshotFile API", c.Server, cmdutil.UnwrapAPI(err))
	}
	if !served {
		return nil, fmt.Errorf("this cluster does not serve ETCDSnapshotFile (k3s.cattle.io/v1, K3s and RKE2 releases of 2024 on), so the snapshot cannot be found from here: list them on a server (k3s etcd-snapshot ls or rke2 etcd-snapshot ls) and follow docs/upgrade.md by hand")
	}
	snaps, err := etcdsnapshot.List(ctx, c.Dynamic)
	if err != nil {
		return nil, cmdutil.APIError("list ETCDSnapshotFiles", c.Server, cmdutil.UnwrapAPI(err))
	}
	return snaps, nil
}

func (s *sucRollback) verify(ctx context.Context, env *cmdutil.Env, c *cmdutil.Clients, plans *suc.Client) error {
	ours, err := plans.Ours(ctx)
	if err != nil {
		if served, derr := cluster.Served(c.Discovery, suc.PlanResource); derr != nil || served {
			return cmdutil.APIError("list our Plans", c.Server, cmdutil.UnwrapAPI(err))
		}
		ours = nil // no Plan API: no Plan of ours either
	}
	obj, err := cluster.ReadObjects(ctx, c.Kube)
	if err != nil {
		return cmdutil.APIError("read nodes and pods", c.Server, cmdutil.UnwrapAPI(err))
	}
	r := rollback.Verify(s.expect, obj.Nodes, obj.Pods, ours)
	w := env.Streams.Out
	if s.out.Structured() {
		err = s.out.Print(w, r)
	} else {
		table.WriteRollbackVerify(w, r)
	}
	if err != nil {
		return err
	}
	if r.State != report.RollbackComplete {
		return &verifyError{state: r.State}
	}
	return nil
}

// writeScripts writes the runbook's files, scripts executable; the directory is
// created when missing. Only the files named are written.
func writeScripts(dir string, files map[string]string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--output-dir %s: %w", dir, err)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(n, ".sh") {
			mode = 0o755
		}
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, []byte(files[n]), mode); err != nil {
			return fmt.Errorf("--output-dir: write %s: %w", p, err)
		}
		if err := os.Chmod(p, mode); err != nil {
			return fmt.Errorf("--output-dir: %w", err)
		}
	}
	return nil
}

// target is the hop to roll back: our Plans' (the SUC driver), else the last one a
// run of --driver command or manual recorded; with the nodes as they are.
func (s *sucRollback) target(ctx context.Context, env *cmdutil.Env, c *cmdutil.Clients, in status.Input) (rollback.Target, []corev1.Node, error) {
	if st := status.Build(in); st.Summary.State != report.StateNone {
		t, err := rollback.OfPlans(s.Namespace, in.Plans, st.Summary)
		return t, in.Nodes, err
	}
	rec, err := runrecord.Read(ctx, c.Kube, runrecord.DefaultNamespace)
	if err != nil {
		return rollback.Target{}, nil, cmdutil.APIError("read the run record", c.Server, cmdutil.UnwrapAPI(err))
	}
	t, ok, err := rollback.OfRun(rec)
	if !ok {
		return t, nil, fmt.Errorf("no upgrade by kubectl-skew in namespace %s, so nothing to roll back (after a restore, check it with: kubectl skew rollback --verify --expect-version VERSION)", s.Namespace)
	}
	if err != nil {
		return t, nil, err
	}
	_, nodes, err := cmdutil.ReadCluster(ctx, env, c)
	return t, nodes, err
}
