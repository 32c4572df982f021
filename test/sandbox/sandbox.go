// Package sandbox runs a real control plane on this machine for the end-to-end tests
// and the demo: etcd and kube-apiserver on free loopback ports, optionally the real
// system-upgrade-controller with a node simulator playing the nodes' part, and local
// release-channel servers, and the real kube-controller-manager and kube-scheduler.
// Nodes and pods are seeded from test/scenarios; the node simulator plays the kubelets.
package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-skew/kubectl-skew/test/channelserver"
	"github.com/kubectl-skew/kubectl-skew/test/nodesim"
	"github.com/kubectl-skew/kubectl-skew/test/ranchersim"
)

// Options choose what runs.
type Options struct {
	// Scenario is seeded once the apiserver is ready; "" seeds nothing.
	Scenario string
	// SUC runs the system-upgrade-controller and the node simulator.
	SUC bool
	// NodeDelay is how long a simulated node takes to upgrade (default 1s).
	NodeDelay time.Duration
	// Channels serves test/testdata/channels (K3s and RKE2) on two more ports.
	Channels bool
	// Rancher installs Rancher's CRDs (our reduced schemas) and runs the Rancher
	// simulator, which takes RancherStep for each node and phase (default 200ms).
	Rancher     bool
	RancherStep time.Duration
	// Dir holds the sandbox's state (certificates, data, logs, kubeconfig). Default: a
	// new directory under <repo>/.cache/sandbox, removed by Stop. A given Dir is
	// reused: whatever a dead owner left there is killed and wiped first.
	Dir string
	// Keep leaves Dir in place after Stop (for reading logs).
	Keep bool
	// BinDir holds kube-apiserver, kubectl, system-upgrade-controller (and may hold
	// etcd); default DefaultBinDir().
	BinDir string
	// Progress gets one line per step; nil is quiet.
	Progress io.Writer
}

// Sandbox is a running control plane.
type Sandbox struct {
	// Dir is the state directory; Kubeconfig the admin's kubeconfig (with a context per User).
	Dir        string
	Kubeconfig string
	Server     string
	EtcdURL    string
	AdminToken string
	Users      []User
	// Config, Client and Dynamic are admin clients without client-side rate limits.
	Config  *rest.Config
	Client  kubernetes.Interface
	Dynamic dynamic.Interface
	// K3sChannels and RKE2Channels are set with Options.Channels.
	K3sChannels  *channelserver.Server
	RKE2Channels *channelserver.Server
	// Nodesim plays the nodes' part in SUC upgrades (with Options.SUC); its event log
	// is NodesimLog, one JSON object per line.
	Nodesim    *nodesim.Simulator
	NodesimLog string
	// Rancher plays Rancher's controllers (with Options.Rancher).
	Rancher *ranchersim.Simulator
	// Tools are the binaries in use; Kubectl is the pinned kubectl the tests run.
	Tools Tools

	opts      Options
	tools     Tools
	state     *state
	spawner   *spawner
	pki       *pki
	etcd      *process
	apiserver *process
	kcm       *process
	scheduler *process
	suc       *process
	// components are the controllers' identities (not kubeconfig contexts).
	components []User
	cancel     context.CancelFunc

	mu       sync.Mutex
	scenario string
	seeded   []seededObject
	stopped  bool
}

// Start brings the sandbox up. On any error it stops what it started.
func Start(ctx context.Context, opts Options) (_ *Sandbox, err error) {
	began := time.Now()
	if opts.BinDir == "" {
		if opts.BinDir, err = DefaultBinDir(); err != nil {
			return nil, err
		}
	}
	tools, err := FindTools(opts.BinDir, opts.SUC)
	if err != nil {
		return nil, err
	}
	dir, owned, err := stateDir(opts.Dir)
	if err != nil {
		return nil, err
	}
	if owned {
		opts.Dir = dir
	}
	st, err := openState(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(st.path("logs"), 0o755); err != nil {
		return nil, fmt.Errorf("create log dir: %w", err)
	}
	bgCtx, cancel := context.WithCancel(context.Background())
	sb := &Sandbox{
		Dir: dir, Kubeconfig: st.path("kubeconfig"), Tools: tools,
		opts: opts, tools: tools, state: st, spawner: newSpawner(), cancel: cancel,
	}
	defer func() {
		if err != nil {
			// Keep the logs of a failed start: they are the only explanation.
			sb.opts.Keep = true
			sb.Stop()
		}
	}()

	sb.progress("state in %s", dir)
	if sb.pki, err = newPKI(st.path("pki")); err != nil {
		return sb, err
	}
	sb.Users = defaultUsers()
	identities := append(append([]User(nil), sb.Users...), componentUsers()...)
	if err = writeTokenFile(st.path("tokens.csv"), identities); err != nil {
		return sb, err
	}
	sb.Users, sb.components = identities[:len(sb.Users)], identities[len(sb.Users):]
	sb.AdminToken = sb.Users[0].Token

	if err = sb.startEtcd(ctx); err != nil {
		return sb, err
	}
	sb.progress("etcd ready at %s", sb.EtcdURL)
	if err = sb.startAPIServer(ctx); err != nil {
		return sb, err
	}
	sb.progress("kube-apiserver ready at %s (%.1fs)", sb.Server, time.Since(began).Seconds())
	if err = writeKubeconfig(sb.Kubeconfig, sb.Server, sb.pki.caPEM, sb.Users); err != nil {
		return sb, err
	}
	if err = sb.buildClients(); err != nil {
		return sb, err
	}
	if err = sb.waitSystemNamespaces(ctx); err != nil {
		return sb, err
	}
	if err = grantRules(ctx, sb.Client, sb.Users); err != nil {
		return sb, err
	}
	if err = sb.startControllers(ctx); err != nil {
		return sb, err
	}
	sb.progress("kube-controller-manager and kube-scheduler running")
	if opts.Channels {
		if err = sb.startChannels(); err != nil {
			return sb, err
		}
		sb.progress("channel servers: K3s %s, RKE2 %s", sb.K3sChannels.URL, sb.RKE2Channels.URL)
	}
	if opts.SUC {
		if err = sb.startSUC(ctx); err != nil {
			return sb, err
		}
		if err = sb.startNodesim(bgCtx); err != nil {
			return sb, err
		}
		sb.progress("system-upgrade-controller and node simulator running (events: %s)", sb.NodesimLog)
	}
	if opts.Rancher {
		if err = ranchersim.InstallCRDs(ctx, sb.Dynamic, sb.Client.Discovery()); err != nil {
			return sb, err
		}
		sb.Rancher = ranchersim.New(sb.Dynamic, opts.RancherStep)
		go sb.Rancher.Run(bgCtx)
		sb.progress("Rancher's CRDs installed, Rancher simulator running")
	}
	if opts.Scenario != "" {
		if err = sb.Seed(ctx, opts.Scenario); err != nil {
			return sb, err
		}
	}
	sb.progress("ready in %.1fs: export KUBECONFIG=%s", time.Since(began).Seconds(), sb.Kubeconfig)
	return sb, nil
}

// stateDir returns the directory to use and whether Start chose it.
func stateDir(dir string) (string, bool, error) {
	if dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return "", false, fmt.Errorf("state dir: %w", err)
		}
		return abs, false, nil
	}
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	name := "run-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(suffix[:])
	root, err := RepoRoot()
	if err != nil {
		tmp, err := os.MkdirTemp("", "kubectl-skew-sandbox-")
		if err != nil {
			return "", false, fmt.Errorf("state dir: %w", err)
		}
		return tmp, true, nil
	}
	parent := filepath.Join(root, ".cache", "sandbox")
	if err := ReapStale(parent); err != nil {
		return "", false, err
	}
	return filepath.Join(parent, name), true, nil
}

func (sb *Sandbox) buildClients() error {
	cfg, err := clientcmd.BuildConfigFromFlags("", sb.Kubeconfig)
	if err != nil {
		return fmt.Errorf("admin client: %w", err)
	}
	// Seeding 5,000 nodes with 32 workers: client-side throttling would dominate.
	cfg.QPS, cfg.Burst = -1, 0
	cfg.UserAgent = "kubectl-skew-sandbox"
	// RKE2's static pods are named after FQDN nodes, which the apiserver warns about
	// on every create: true to life, and noise in the sandbox's own output.
	cfg.WarningHandler = rest.NoWarnings{}
	sb.Config = cfg
	if sb.Client, err = kubernetes.NewForConfig(cfg); err != nil {
		return fmt.Errorf("admin client: %w", err)
	}
	if sb.Dynamic, err = dynamic.NewForConfig(cfg); err != nil {
		return fmt.Errorf("admin client: %w", err)
	}
	return nil
}

func (sb *Sandbox) startChannels() error {
	root, err := RepoRoot()
	if err != nil {
		return fmt.Errorf("channel servers: %w", err)
	}
	fixtures := filepath.Join(root, "test", "testdata", "channels")
	if sb.K3sChannels, err = channelserver.Start(channelserver.Options{Fixture: filepath.Join(fixtures, "k3s.json")}); err != nil {
		return err
	}
	sb.RKE2Channels, err = channelserver.Start(channelserver.Options{Fixture: filepath.Join(fixtures, "rke2.json")})
	return err
}

func (sb *Sandbox) startNodesim(ctx context.Context) error {
	sb.NodesimLog = sb.state.path("logs", "nodesim.jsonl")
	sim, err := nodesim.New(sb.Config, nodesim.Options{Delay: sb.opts.NodeDelay, LogPath: sb.NodesimLog})
	if err != nil {
		return fmt.Errorf("start node simulator: %w", err)
	}
	if err := sim.Start(ctx); err != nil {
		return fmt.Errorf("start node simulator: %w", err)
	}
	sb.Nodesim = sim
	return nil
}

// Stop ends everything the sandbox started, newest first, and removes its state
// directory (unless Options.Keep). It is safe to call twice.
func (sb *Sandbox) Stop() {
	sb.mu.Lock()
	if sb.stopped {
		sb.mu.Unlock()
		return
	}
	sb.stopped = true
	sb.mu.Unlock()

	sb.cancel()
	if sb.Nodesim != nil {
		sb.Nodesim.Wait()
	}
	sb.suc.stop(5 * time.Second)
	sb.scheduler.stop(5 * time.Second)
	sb.kcm.stop(5 * time.Second)
	sb.apiserver.stop(10 * time.Second)
	sb.etcd.stop(10 * time.Second)
	for _, cs := range []*channelserver.Server{sb.K3sChannels, sb.RKE2Channels} {
		if cs != nil {
			_ = cs.Close()
		}
	}
	sb.spawner.close()
	if !sb.opts.Keep {
		_ = os.RemoveAll(sb.Dir)
	} else {
		// No owner any more (pid 0): a later run may reap this directory.
		_ = os.WriteFile(sb.state.path(ownerFile), []byte("0\n"), 0o644)
	}
}

// Alive reports an error when a process the sandbox runs has exited.
func (sb *Sandbox) Alive() error {
	var errs []error
	for _, p := range []*process{sb.etcd, sb.apiserver, sb.kcm, sb.scheduler, sb.suc} {
		if p != nil && p.exited() {
			errs = append(errs, p.failure("sandbox"))
		}
	}
	return errors.Join(errs...)
}

// Done is closed when a process the sandbox runs exits on its own.
func (sb *Sandbox) Done() <-chan struct{} {
	done := make(chan struct{})
	go func() {
		cases := []<-chan struct{}{}
		for _, p := range []*process{sb.etcd, sb.apiserver, sb.kcm, sb.scheduler, sb.suc} {
			if p != nil {
				cases = append(cases, p.done)
			}
		}
		first := make(chan struct{}, len(cases))
		for _, c := range cases {
			go func(c <-chan struct{}) { <-c; first <- struct{}{} }(c)
		}
		<-first
		close(done)
	}()
	return done
}

// Logs lists the log files of the sandbox's processes.
func (sb *Sandbox) Logs() string { return sb.state.path("logs") }

// Scenario is the name of the scenario seeded last.
func (sb *Sandbox) Scenario() string {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	return sb.scenario
}

func (sb *Sandbox) progress(format string, args ...any) {
	if sb.opts.Progress != nil {
		fmt.Fprintf(sb.opts.Progress, "sandbox: "+format+"\n", args...)
	}
}
