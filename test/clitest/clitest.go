// Package clitest runs the real root command (plugin.Execute) against fake clients,
// the way each command package's tests use it: the fake cluster, the runs, the golden
// files, and the fixtures several commands share (nodes, the channel server, a cluster
// with the system-upgrade-controller, a Rancher management cluster). It judges
// nothing: the tests say what is right. Only _test files import it.
package clitest

import (
	"bytes"
	"context"
	"fmt"
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

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin"
	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
)

// Cluster is what a command test runs against.
type Cluster struct {
	Objects []runtime.Object
	// Custom are custom resources (ListKinds names their list kinds); with them the
	// clients get a dynamic client, and discovery serves the groups in Resources.
	Custom        []runtime.Object
	ListKinds     map[schema.GroupVersionResource]string
	Resources     []*metav1.APIResourceList
	ServerVersion string
	Kubectl       string // "" means "no kubectl on PATH"
}

// Result is what one run printed and its exit code.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Run executes the real root command with test streams against a fake clientset.
func Run(t testing.TB, fc Cluster, args ...string) Result {
	t.Helper()
	return RunEnv(t, func(env *cmdutil.Env) {
		env.Clients = func() (*cmdutil.Clients, error) { return fc.Clients("https://fake:6443"), nil }
		env.KubectlVersion = fc.KubectlVersion
	}, args...)
}

// RunFleet executes the command with one fake cluster per kubeconfig context; a
// context mapped to an error fails to build its clients with that error.
func RunFleet(t testing.TB, contexts map[string]any, args ...string) Result {
	t.Helper()
	return RunEnv(t, func(env *cmdutil.Env) {
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
			case Cluster:
				return c.Clients("https://" + name + ":6443"), nil
			case error:
				return nil, c
			}
			return nil, fmt.Errorf("no such context %q", name)
		}
		env.KubectlVersion = Cluster{Kubectl: "v1.32.4"}.KubectlVersion
	}, args...)
}

// RunEnv executes the root command with an Env on test streams (stdin empty, so not
// a terminal), after wire filled in its clients.
func RunEnv(t testing.TB, wire func(*cmdutil.Env), args ...string) Result {
	t.Helper()
	var in, out, errOut bytes.Buffer
	env := &cmdutil.Env{
		Streams: genericiooptions.IOStreams{In: &in, Out: &out, ErrOut: &errOut},
		Flags:   genericclioptions.NewConfigFlags(false),
		Getenv:  func(string) string { return "" },
	}
	wire(env)
	code := plugin.Execute(context.Background(), env, args)
	return Result{Stdout: out.String(), Stderr: errOut.String(), Code: code}
}

// Clients are fake clients over the cluster's objects, reached at server.
func (fc Cluster) Clients(server string) *cmdutil.Clients {
	client := fake.NewSimpleClientset(fc.Objects...)
	client.PrependReactor("create", "selfsubjectaccessreviews", AllowAccessReviews)
	client.Discovery().(*fakediscovery.FakeDiscovery).FakedServerVersion = &version.Info{GitVersion: fc.ServerVersion, Platform: "linux/amd64"}
	c := &cmdutil.Clients{Kube: client, Discovery: client.Discovery(), Server: server}
	if fc.ListKinds != nil {
		client.Discovery().(*fakediscovery.FakeDiscovery).Resources = fc.Resources
		c.Dynamic = dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), fc.ListKinds, fc.Custom...)
	}
	return c
}

// KubectlVersion is the Env's KubectlVersion for the cluster's kubectl.
func (fc Cluster) KubectlVersion(context.Context) (string, string, string) {
	if fc.Kubectl == "" {
		return "", "", "no kubectl on PATH"
	}
	return fc.Kubectl, "/usr/local/bin/kubectl", ""
}
