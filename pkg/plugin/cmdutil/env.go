package cmdutil

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Env is what every command takes from the outside world. Tests build one with
// test streams and fake clients; Main builds the real one with NewEnv.
type Env struct {
	Streams genericiooptions.IOStreams
	Flags   *genericclioptions.ConfigFlags
	// Clients builds API clients from Flags, once per command run.
	Clients func() (*Clients, error)
	// ContextNames lists the kubeconfig's contexts, sorted; ClientsFor builds clients
	// for one of them (the fleet view).
	ContextNames func() ([]string, error)
	ClientsFor   func(context string) (*Clients, error)
	Getenv       func(string) string
	// KubectlVersion reports the user's kubectl version, or why it cannot be known.
	KubectlVersion func(context.Context) (ver, source, skipped string)
}

// Clients are the API clients a command may use.
type Clients struct {
	Kube      kubernetes.Interface
	Dynamic   dynamic.Interface
	Discovery discovery.DiscoveryInterface
	// Config is nil for fake clients.
	Config *rest.Config
	// Server is the apiserver URL, for error messages.
	Server string
}

func NewClients(flags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) (*Clients, error) {
	if *flags.APIServer == "" {
		// Without a kubeconfig client-go falls back to http://localhost:8080, which only
		// yields a puzzling "connection refused"; say what is really missing.
		raw, err := flags.ToRawKubeConfigLoader().RawConfig()
		if err != nil {
			return nil, kubeconfigError(err)
		}
		if name := *flags.Context; name != "" && raw.Contexts[name] == nil {
			return nil, fmt.Errorf("load kubeconfig: context %q does not exist in %s; 'kubectl config get-contexts' lists them", name, kubeconfigPaths(flags))
		}
		// In a pod without a kubeconfig (docs/watch.md), client-go uses the pod's
		// ServiceAccount, as kubectl does.
		if len(raw.Clusters) == 0 && !inCluster() {
			return nil, fmt.Errorf("no cluster configured: the kubeconfig (%s) has no clusters; set --kubeconfig or KUBECONFIG, or use --server", kubeconfigPaths(flags))
		}
	}
	cfg, err := flags.ToRESTConfig()
	if err != nil {
		return nil, kubeconfigError(err)
	}
	// API warnings (deprecations) are for the user, on stderr, not mixed into -o json.
	cfg.WarningHandler = rest.NewWarningWriter(streams.ErrOut, rest.WarningWriterOptions{Deduplicate: true})
	return clientsFor(cfg)
}

// clientsFor builds the clients of one config. The typed client speaks protobuf,
// several times cheaper than JSON to decode for large node lists; the dynamic client
// cannot.
func clientsFor(cfg *rest.Config) (*Clients, error) {
	proto := rest.CopyConfig(cfg)
	proto.ContentType = "application/vnd.kubernetes.protobuf"
	proto.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	kube, err := kubernetes.NewForConfig(proto)
	if err != nil {
		return nil, fmt.Errorf("build client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("build dynamic client: %w", err)
	}
	return &Clients{Kube: kube, Dynamic: dyn, Discovery: kube.Discovery(), Config: cfg, Server: cfg.Host}, nil
}

// Derived returns clients with c's identity, built from a copy of c's config that the
// tweaks change (OwnBudget, NoTimeout): the typed client speaks protobuf as c's does,
// and Config is the changed copy, for other kinds of client. Fake clients (no Config)
// have nothing to change and come back as they are.
func (c *Clients) Derived(tweaks ...func(*rest.Config)) (*Clients, error) {
	if c.Config == nil {
		return c, nil
	}
	cfg := rest.CopyConfig(c.Config)
	for _, tweak := range tweaks {
		tweak(cfg)
	}
	d, err := clientsFor(cfg)
	if err != nil {
		return nil, err
	}
	d.Server = c.Server
	return d, nil
}

// OwnBudget gives clients a request budget of their own, for reads that run beside
// others or list many kinds at once: client-go's default of five requests a second
// would make each list wait up to 200 ms on the ones before it.
func OwnBudget(cfg *rest.Config) { cfg.QPS, cfg.Burst = 50, 100 }

// NoTimeout is for clients that hold watches: --request-timeout would end every watch
// when it runs out and make the informers re-watch for nothing.
func NoTimeout(cfg *rest.Config) { cfg.Timeout = 0 }

// inCluster reports whether this process runs in a pod with a ServiceAccount token.
func inCluster() bool {
	if os.Getenv("KUBERNETES_SERVICE_HOST") == "" || os.Getenv("KUBERNETES_SERVICE_PORT") == "" {
		return false
	}
	_, err := os.Stat("/var/run/secrets/kubernetes.io/serviceaccount/token")
	return err == nil
}

// IsTerminal reports whether w is a terminal (colour, progress bars, prompts).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// UseColor follows https://no-color.org: colour only on a terminal and never with NO_COLOR set.
func (e *Env) UseColor(w io.Writer) bool {
	if e.Getenv != nil && e.Getenv("NO_COLOR") != "" {
		return false
	}
	return IsTerminal(w)
}

func kubeconfigPaths(flags *genericclioptions.ConfigFlags) string {
	if *flags.KubeConfig != "" {
		return *flags.KubeConfig
	}
	if p := os.Getenv("KUBECONFIG"); p != "" {
		return p
	}
	return "~/.kube/config"
}

// FlagsForContext copies the flags that make sense for every cluster of a fleet (the
// kubeconfig, timeouts, impersonation) and points the copy at one context.
func FlagsForContext(base *genericclioptions.ConfigFlags, name string) *genericclioptions.ConfigFlags {
	f := genericclioptions.NewConfigFlags(false)
	f.KubeConfig, f.Timeout, f.CacheDir = base.KubeConfig, base.Timeout, base.CacheDir
	f.Impersonate, f.ImpersonateUID, f.ImpersonateGroup = base.Impersonate, base.ImpersonateUID, base.ImpersonateGroup
	f.Context = &name
	return f
}

// Confirm asks question on a terminal and refuses without one rather than hang;
// unattended says what to pass instead.
func (e *Env) Confirm(ctx context.Context, question, unattended string) error {
	if !isTerminalReader(e.Streams.In) {
		return fmt.Errorf("refusing to change the cluster without confirmation: stdin is not a terminal; %s", unattended)
	}
	fmt.Fprintf(e.Streams.Out, "\n%s [y/N]: ", question)
	answer := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(e.Streams.In).ReadString('\n')
		answer <- strings.ToLower(strings.TrimSpace(line))
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(e.Streams.Out)
		return fmt.Errorf("interrupted at the confirmation: nothing was changed")
	case a := <-answer:
		if a == "y" || a == "yes" {
			return nil
		}
		return fmt.Errorf("not confirmed: nothing was changed")
	}
}

func isTerminalReader(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
