package plugin

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes/fake"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// fakeCluster is what a command test runs against.
type fakeCluster struct {
	objects       []runtime.Object
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
	var in, out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: &in, Out: &out, ErrOut: &errOut}
	client := fake.NewSimpleClientset(fc.objects...)
	client.Discovery().(*fakediscovery.FakeDiscovery).FakedServerVersion = &version.Info{GitVersion: fc.serverVersion, Platform: "linux/amd64"}
	env := &Env{
		Streams: streams,
		Flags:   genericclioptions.NewConfigFlags(false),
		Getenv:  func(string) string { return "" },
		Clients: func() (*Clients, error) {
			return &Clients{Kube: client, Discovery: client.Discovery(), Server: "https://fake:6443"}, nil
		},
		KubectlVersion: func(context.Context) (string, string, string) {
			if fc.kubectl == "" {
				return "", "", "no kubectl on PATH"
			}
			return fc.kubectl, "/usr/local/bin/kubectl", ""
		},
	}
	code := Execute(context.Background(), env, args)
	return result{stdout: out.String(), stderr: errOut.String(), code: code}
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
