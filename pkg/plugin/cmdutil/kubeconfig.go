package cmdutil

import (
	"sort"
	"sync"

	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Kubeconfig reads the kubeconfig the flags point at once and serves the fleet view
// from it: the context names and each context's clients. Building each context's
// clients through flags of its own would read and parse every file again per
// context: a fleet of n contexts would parse n² of them.
type Kubeconfig struct {
	flags   *genericclioptions.ConfigFlags
	streams genericiooptions.IOStreams

	once   sync.Once
	raw    clientcmdapi.Config
	access clientcmd.ConfigAccess
	err    error
}

// NewKubeconfig reads nothing yet: the first call loads.
func NewKubeconfig(flags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) *Kubeconfig {
	return &Kubeconfig{flags: flags, streams: streams}
}

func (k *Kubeconfig) load() error {
	k.once.Do(func() {
		loader := k.flags.ToRawKubeConfigLoader()
		k.raw, k.err = loader.RawConfig()
		k.access = loader.ConfigAccess()
		if k.err != nil {
			k.err = kubeconfigError(k.err)
		}
	})
	return k.err
}

// ContextNames lists the kubeconfig's contexts, sorted.
func (k *Kubeconfig) ContextNames() ([]string, error) {
	if err := k.load(); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(k.raw.Contexts))
	for name := range k.raw.Contexts {
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}

// Clients builds the clients of one context, with the flags that make sense for every
// cluster of a fleet (--request-timeout, impersonation) and none of those that name
// one cluster (--server, --token, --cluster, --namespace...).
func (k *Kubeconfig) Clients(name string) (*Clients, error) {
	if err := k.load(); err != nil {
		return nil, err
	}
	o := &clientcmd.ConfigOverrides{CurrentContext: name}
	f := k.flags
	if f.Timeout != nil {
		o.Timeout = *f.Timeout
	}
	if f.Impersonate != nil {
		o.AuthInfo.Impersonate = *f.Impersonate
	}
	if f.ImpersonateUID != nil {
		o.AuthInfo.ImpersonateUID = *f.ImpersonateUID
	}
	if f.ImpersonateGroup != nil {
		o.AuthInfo.ImpersonateGroups = *f.ImpersonateGroup
	}
	cfg, err := clientcmd.NewNonInteractiveClientConfig(k.raw, name, o, k.access).ClientConfig()
	if err != nil {
		return nil, kubeconfigError(err)
	}
	cfg.WarningHandler = rest.NewWarningWriter(k.streams.ErrOut, rest.WarningWriterOptions{Deduplicate: true})
	ShareFirstConnection(cfg)
	return clientsFor(cfg)
}
