package watch_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/testworld"
	"github.com/kubectl-skew/kubectl-skew/pkg/plugin"
	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	watchcmd "github.com/kubectl-skew/kubectl-skew/pkg/plugin/watch"
	"github.com/kubectl-skew/kubectl-skew/test/clitest"
)

// syncBuffer is a bytes.Buffer a running command writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runWatch runs "kubectl skew watch args..." against cs until stop returns true for
// its stdout (then it cancels, as SIGTERM does) or it exits on its own.
func runWatch(t *testing.T, cs *fake.Clientset, stop func(stdout string) bool, args ...string) clitest.Result {
	t.Helper()
	var in bytes.Buffer
	var out, errOut syncBuffer
	env := &cmdutil.Env{
		Streams: genericiooptions.IOStreams{In: &in, Out: &out, ErrOut: &errOut},
		Flags:   genericclioptions.NewConfigFlags(false),
		Getenv:  func(string) string { return "" },
		Clients: func() (*cmdutil.Clients, error) {
			return &cmdutil.Clients{Kube: cs, Discovery: cs.Discovery(), Server: "https://fake:6443"}, nil
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- plugin.Execute(ctx, env, append([]string{"watch"}, args...)) }()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case code := <-done:
			return clitest.Result{Stdout: out.String(), Stderr: errOut.String(), Code: code}
		case <-deadline:
			t.Fatalf("watch %v: no end within 10s; stdout %q stderr %q", args, out.String(), errOut.String())
		case <-time.After(5 * time.Millisecond):
			if stop(out.String()) {
				cancel()
			}
		}
	}
}

func watchCluster(t *testing.T) *fake.Clientset {
	var objs []runtime.Object
	for _, n := range testworld.Nodes(t, "server s1 v1.32.9+k3s1", "agent a1 v1.32.9+k3s1", "agent old v1.28.15+k3s1") {
		objs = append(objs, &n)
	}
	return fake.NewClientset(objs...)
}

var rfc3339 = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)

func TestWatchPrintsChanges(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"text", nil},
		{"json", []string{"-o", "json", "--target", "v1.33"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runWatch(t, watchCluster(t), func(out string) bool { return strings.Count(out, "\n") >= 1 }, tt.args...)
			if r.Code != cmdutil.ExitOK || r.Stderr != "" {
				t.Fatalf("exit %d, stderr %q", r.Code, r.Stderr)
			}
			clitest.Golden(t, tt.name+".txt", rfc3339.ReplaceAllString(r.Stdout, "TIME"))
		})
	}
}

func TestWatchBadInput(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	forbidden := func(verb string) *fake.Clientset {
		cs := watchCluster(t)
		err := apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "", errors.New(`User "system:serviceaccount:skew:watch" cannot `+verb+` resource "nodes"`))
		if verb == "watch" {
			cs.PrependWatchReactor("nodes", func(clienttesting.Action) (bool, watch.Interface, error) { return true, nil, err })
		} else {
			cs.PrependReactor(verb, "nodes", func(clienttesting.Action) (bool, runtime.Object, error) { return true, nil, err })
		}
		return cs
	}
	for _, tt := range []struct {
		name string
		cs   *fake.Clientset
		args []string
		want string
	}{
		{"address without a port", watchCluster(t), []string{"--metrics-addr", "9090"}, `--metrics-addr "9090": use HOST:PORT`},
		{"port out of range", watchCluster(t), []string{"--metrics-addr", "127.0.0.1:70000"}, `port "70000" is not a number from 0 to 65535`},
		{"port in use", watchCluster(t), []string{"--metrics-addr", busy.Addr().String()}, "the port is in use by another process; pick another port"},
		{"address of another machine", watchCluster(t), []string{"--metrics-addr", "192.0.2.1:9090"}, "cannot listen"},
		{"list forbidden", forbidden("list"), nil, "watch nodes: forbidden: "},
		{"watch forbidden", forbidden("watch"), nil, `cannot watch resource "nodes"; ask a cluster admin for that permission`},
		{"watch forbidden while serving metrics", forbidden("watch"), []string{"--metrics-addr", "127.0.0.1:0"}, `cannot watch resource "nodes"`},
		{"bad output", watchCluster(t), []string{"-o", "yaml"}, `--output "yaml"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runWatch(t, tt.cs, func(string) bool { return false }, tt.args...)
			if r.Code != cmdutil.ExitError || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, tt.want) {
				t.Errorf("exit %d, stderr %q: want exit 1 and one line with %q", r.Code, r.Stderr, tt.want)
			}
		})
	}
}

// FuzzMetricsAddr: --metrics-addr is outside input; it never panics, and what it
// accepts has a port net.Listen understands.
func FuzzMetricsAddr(f *testing.F) {
	for _, s := range []string{":9090", "127.0.0.1:9090", "[::1]:0", "9090", "host:", "h:70000", "::", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		if watchcmd.ValidateAddr(addr) != nil {
			return
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			t.Errorf("accepted %q, which has no port: %v", addr, err)
		}
	})
}
