package plugin

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	fakediscovery "k8s.io/client-go/discovery/fake"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// fakeCluster is what a command test runs against.
type fakeCluster struct {
	objects []runtime.Object
	// custom are custom resources (listKinds names their list kinds); with them the
	// clients get a dynamic client, and discovery serves the groups in resources.
	custom        []runtime.Object
	listKinds     map[schema.GroupVersionResource]string
	resources     []*metav1.APIResourceList
	serverVersion string
	kubectl       string // "" means "no kubectl on PATH"
}

type result struct {
	stdout, stderr string
	code           int
}

// run executes the real root command with test streams against a fake clientset.
func run(t *testing.T, fc fakeCluster, args ...string) result {
	t.Helper()
	return runEnv(t, func(env *cmdutil.Env) {
		env.Clients = func() (*cmdutil.Clients, error) { return fc.clients("https://fake:6443"), nil }
		env.KubectlVersion = fc.kubectlVersion
	}, args...)
}

// runFleet executes the command with one fake cluster per kubeconfig context; a
// context mapped to an error fails to build its clients with that error.
func runFleet(t *testing.T, contexts map[string]any, args ...string) result {
	t.Helper()
	return runEnv(t, func(env *cmdutil.Env) {
		env.ContextNames = func() ([]string, error) {
			names := make([]string, 0, len(contexts))
			for n := range contexts {
				names = append(names, n)
			}
			sort.Strings(names)
			return names, nil
		}
		env.ClientsFor = func(name string) (*cmdutil.Clients, error) {
			switch c := contexts[name].(type) {
			case fakeCluster:
				return c.clients("https://" + name + ":6443"), nil
			case error:
				return nil, c
			}
			return nil, fmt.Errorf("no such context %q", name)
		}
		env.KubectlVersion = fakeCluster{kubectl: "v1.32.4"}.kubectlVersion
	}, args...)
}

func runEnv(t *testing.T, wire func(*cmdutil.Env), args ...string) result {
	t.Helper()
	var in, out, errOut bytes.Buffer
	env := &cmdutil.Env{
		Streams: genericiooptions.IOStreams{In: &in, Out: &out, ErrOut: &errOut},
		Flags:   genericclioptions.NewConfigFlags(false),
		Getenv:  func(string) string { return "" },
	}
	wire(env)
	code := Execute(context.Background(), env, args)
	return result{stdout: out.String(), stderr: errOut.String(), code: code}
}

func (fc fakeCluster) clients(server string) *cmdutil.Clients {
	client := fake.NewSimpleClientset(fc.objects...)
	client.Discovery().(*fakediscovery.FakeDiscovery).FakedServerVersion = &version.Info{GitVersion: fc.serverVersion, Platform: "linux/amd64"}
	c := &cmdutil.Clients{Kube: client, Discovery: client.Discovery(), Server: server}
	if fc.listKinds != nil {
		client.Discovery().(*fakediscovery.FakeDiscovery).Resources = fc.resources
		c.Dynamic = dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), fc.listKinds, fc.custom...)
	}
	return c
}

func (fc fakeCluster) kubectlVersion(context.Context) (string, string, string) {
	if fc.kubectl == "" {
		return "", "", "no kubectl on PATH"
	}
	return fc.kubectl, "/usr/local/bin/kubectl", ""
}

// golden compares got with testdata/<name>, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test ./pkg/plugin -update to create it): %v", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the output (run with -update after checking the change):\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}
