package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kubectl-skew/kubectl-skew/test/sandbox"
)

// fleetKubeconfig merges the admin contexts of the given sandboxes (renamed to the map's
// keys) with a context whose apiserver is gone and one whose credentials are rejected.
func fleetKubeconfig(t testing.TB, clusters map[string]*sandbox.Sandbox) string {
	t.Helper()
	merged := clientcmdapi.NewConfig()
	for name, sb := range clusters {
		cfg, err := clientcmd.LoadFromFile(sb.Kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		ctx := cfg.Contexts[sandbox.ContextAdmin]
		merged.Clusters[name] = cfg.Clusters[ctx.Cluster]
		merged.AuthInfos[name] = cfg.AuthInfos[ctx.AuthInfo]
		merged.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
	}
	// "badcreds": a live apiserver and a token it does not know.
	for name := range clusters {
		merged.Clusters["badcreds"] = merged.Clusters[name]
		break
	}
	merged.AuthInfos["badcreds"] = &clientcmdapi.AuthInfo{Token: "not-a-valid-token"}
	merged.Contexts["badcreds"] = &clientcmdapi.Context{Cluster: "badcreds", AuthInfo: "badcreds"}
	// "offline": a port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	merged.Clusters["offline"] = &clientcmdapi.Cluster{Server: "https://" + addr, InsecureSkipTLSVerify: true}
	merged.AuthInfos["offline"] = &clientcmdapi.AuthInfo{Token: "x"}
	merged.Contexts["offline"] = &clientcmdapi.Context{Cluster: "offline", AuthInfo: "offline"}
	merged.CurrentContext = "offline"
	path := filepath.Join(t.TempDir(), "fleet-kubeconfig")
	if err := clientcmd.WriteToFile(*merged, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// secondSandbox starts another real apiserver, with its own scenario, beside the shared one.
func secondSandbox(t *testing.T, scenario string) *sandbox.Sandbox {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sb, err := sandbox.Start(ctx, sandbox.Options{Scenario: scenario})
	if err != nil {
		t.Fatalf("start a second sandbox: %v", err)
	}
	t.Cleanup(sb.Stop)
	return sb
}

func TestFleetTwoClustersOfflineAndRejected(t *testing.T) {
	seed(t, "k3s-skewed")
	other := secondSandbox(t, "kubeadm")
	kubeconfig := fleetKubeconfig(t, map[string]*sandbox.Sandbox{"k3s-prod": env.sb, "kubeadm-lab": other})

	r := kubectl(t, kubeconfig, "skew", "check", "--all-contexts", "--context-timeout", "20s", "--request-timeout", "5s")
	if r.code != 1 {
		t.Fatalf("an unreadable context makes the fleet exit 1:\n%s", r)
	}
	rows := lines(r.stdout)
	if len(rows) != 6 || !strings.HasPrefix(rows[0], "4 contexts: ") {
		t.Fatalf("want a summary, a header and four rows:\n%s", r)
	}
	var order []string
	for _, row := range rows[2:] {
		order = append(order, strings.Fields(row)[0])
	}
	// Unreadable first (by name), then by errors: k3s-skewed has errors, kubeadm-lab fewer.
	if got := strings.Join(order, " "); got != "badcreds offline k3s-prod kubeadm-lab" {
		t.Errorf("rows in order %q, want worst first\n%s", got, r.stdout)
	}
	for _, want := range []string{"rejected the credentials (401 Unauthorized)", "connection refused", "K3s", "Kubernetes"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "2 of 4 contexts could not be checked") {
		t.Errorf("stderr: %q", r.stderr)
	}

	r = kubectl(t, kubeconfig, "skew", "check", "--all-contexts", "-o", "json", "--request-timeout", "5s")
	var list struct {
		Kind    string
		Summary struct{ Contexts, Unreadable, Failing, Clean int }
		Items   []struct {
			Context, Server, Error string
			Summary                struct{ Distro string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatalf("-o json: %v\n%s", err, r)
	}
	if list.Kind != "CheckReportList" || list.Summary.Contexts != 4 || list.Summary.Unreadable != 2 {
		t.Errorf("list %+v", list)
	}
	for _, it := range list.Items {
		if it.Context == "k3s-prod" && (it.Summary.Distro != "k3s" || it.Server != env.sb.Server) {
			t.Errorf("k3s-prod item %+v", it)
		}
	}
}

func TestFleetNextStepOnChannel(t *testing.T) {
	seed(t, "k3s-skewed")
	kubeconfig := fleetKubeconfig(t, map[string]*sandbox.Sandbox{"k3s-a": env.sb})
	servers := fmt.Sprintf("k3s=%s,rke2=%s", env.sb.K3sChannels.ListURL(), env.sb.RKE2Channels.ListURL())
	r := kubectl(t, kubeconfig, "skew", "check", "--contexts", "k3s-*", "--channel", "stable", "--channel-server", servers, "-o", "json")
	var list struct {
		Items []struct {
			Next struct {
				Target string
				Hops   []string
				Error  string
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list.Items) != 1 {
		t.Fatalf("json: %v\n%s", err, r)
	}
	next := list.Items[0].Next
	if next.Error != "" || next.Target == "" || len(next.Hops) == 0 {
		t.Errorf("the skewed K3s cluster has a next target on stable with hops: %+v\n%s", next, r)
	}
}

// slowProxy forwards TCP to target, holding every chunk from the client for delay: a
// real apiserver seen across a slow network, so the fleet's concurrency shows.
func slowProxy(tb testing.TB, target string, delay time.Duration) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	go func() {
		for {
			client, err := l.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			go func() { _, _ = io.Copy(client, server); client.Close() }()
			go func() {
				defer server.Close()
				buf := make([]byte, 64<<10)
				for {
					n, err := client.Read(buf)
					if n > 0 {
						time.Sleep(delay)
						if _, werr := server.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return "https://" + l.Addr().String()
}

// BenchmarkFleet checks eight contexts on the shared apiserver, each behind a proxy
// with its own latency (25 ms to 200 ms a round trip), all at once and one at a time,
// and the slowest one alone: at once should cost about the slowest, in turn the sum.
func BenchmarkFleet(b *testing.B) {
	env.mu.Lock()
	defer env.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := env.sb.Seed(ctx, "k3s-healthy-ha"); err != nil {
		b.Fatal(err)
	}
	target := strings.TrimPrefix(env.sb.Server, "https://")
	clusters := map[string]*sandbox.Sandbox{}
	for i := 1; i <= 8; i++ {
		clusters[fmt.Sprintf("ctx-%d", i)] = env.sb
	}
	kubeconfig := fleetKubeconfig(b, clusters)
	cfg, err := clientcmd.LoadFromFile(kubeconfig)
	if err != nil {
		b.Fatal(err)
	}
	for i := 1; i <= 8; i++ {
		name := fmt.Sprintf("ctx-%d", i)
		c := *cfg.Clusters[name]
		c.Server = slowProxy(b, target, time.Duration(i)*25*time.Millisecond)
		cfg.Clusters[name] = &c
	}
	if err := clientcmd.WriteToFile(*cfg, kubeconfig); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, contexts, parallel string }{
		{"slowest-alone", "ctx-8", "8"},
		{"8-contexts-at-once", "ctx-*", "8"},
		{"8-contexts-in-turn", "ctx-*", "1"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				cmd := exec.Command(env.sb.Tools.Kubectl, "skew", "check", "--contexts", bc.contexts, "--parallel", bc.parallel, "-o", "json")
				cmd.Env = []string{"PATH=" + env.path, "HOME=" + env.home, "KUBECONFIG=" + kubeconfig}
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("%v\n%s", err, out)
				}
			}
		})
	}
}

// stallingServer accepts connections and never answers: an apiserver behind a
// black-holed route, as far as the client can tell.
func stallingServer(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var held []net.Conn
	tb.Cleanup(func() {
		l.Close()
		for _, c := range held {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	return "https://" + l.Addr().String()
}

// A context that never answers and one that refuses hold up the others no longer than
// --request-timeout: it bounds each context of the fleet, not only each request.
func TestFleetSilentContextsEndAtTheRequestTimeout(t *testing.T) {
	seed(t, "k3s-healthy-ha")
	kubeconfig := fleetKubeconfig(t, map[string]*sandbox.Sandbox{"live": env.sb})
	cfg, err := clientcmd.LoadFromFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	delete(cfg.Contexts, "badcreds")
	stalled := *cfg.Clusters["offline"]
	stalled.Server = stallingServer(t)
	cfg.Clusters["stalled"] = &stalled
	cfg.AuthInfos["stalled"] = cfg.AuthInfos["offline"]
	cfg.Contexts["stalled"] = &clientcmdapi.Context{Cluster: "stalled", AuthInfo: "stalled"}
	if err := clientcmd.WriteToFile(*cfg, kubeconfig); err != nil {
		t.Fatal(err)
	}
	const limit = 3 * time.Second
	for _, args := range [][]string{
		{"--request-timeout", "3s"},
		// No per-request limit: the context's deadline alone ends the silent one.
		{"--request-timeout", "0", "--context-timeout", "3s"},
	} {
		r := kubectl(t, kubeconfig, append([]string{"skew", "check", "--all-contexts", "-o", "json"}, args...)...)
		var list struct {
			Items []struct{ Context, Error string }
		}
		if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || r.code != 1 {
			t.Fatalf("%v: want exit 1 and a list: %v\n%s", args, err, r)
		}
		rows := map[string]string{}
		for _, it := range list.Items {
			rows[it.Context] = it.Error
		}
		if rows["live"] != "" || !strings.Contains(rows["offline"], "connection refused") || rows["stalled"] == "" {
			t.Errorf("%v: rows %q", args, rows)
		}
		// Loose: the deadline, plus the process and the live cluster's check on a
		// loaded machine; far below the 60s --context-timeout default.
		if r.took > limit+10*time.Second {
			t.Errorf("%v: the fleet took %v with a silent context and a %v limit", args, r.took, limit)
		}
		t.Logf("%v: %v; stalled: %s", args, r.took.Round(time.Millisecond), rows["stalled"])
	}
}
