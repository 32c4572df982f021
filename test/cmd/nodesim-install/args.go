package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kubectl-skew/kubectl-skew/test/nodesim"
)

// config is one run, from the flags and the environment (a flag wins).
type config struct {
	node, version string
	// kubeconfig is the kubeconfig's path list, as $KUBECONFIG spells it.
	kubeconfig []string
	// fail, when set, is the message of a command that fails before changing anything.
	fail    string
	never   bool
	sleep   time.Duration
	timeout time.Duration
}

// usageError is what exits 2: the command was called wrongly.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

const usage = `Usage: nodesim-install [flags]

Plays on a sandbox node what an install command does on a real host: the release is
installed and the K3s or RKE2 service restarts. It returns once the node went NotReady.

Environment (a flag wins): SKEW_NODE, SKEW_VERSION, KUBECONFIG, NODESIM_INSTALL_FAIL.
Exit codes: 0 done, 1 the cluster or the simulator did not answer in time,
2 bad or missing input, 3 the install failed as told (--fail, or the node's
nodesim.kubectl-skew.io/fail annotation).

Flags:
`

// parse reads the flags and the environment. It returns flag.ErrHelp for -h, after
// writing the help to out.
func parse(args []string, getenv func(string) string, out io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("nodesim-install", flag.ContinueOnError)
	// The flag package's own error text and usage dump would be several lines: the
	// caller prints one line instead.
	fs.SetOutput(io.Discard)
	node := fs.String("node", "", "the Node's name (default $SKEW_NODE)")
	version := fs.String("version", "", "the exact release to install, e.g. v1.33.5+k3s1 (default $SKEW_VERSION)")
	kubeconfig := fs.String("kubeconfig", "", "the sandbox's kubeconfig (default $KUBECONFIG; never ~/.kube/config)")
	fail := fs.String("fail", "", "fail with this message, changing nothing (default $NODESIM_INSTALL_FAIL)")
	fs.BoolVar(&c.never, "never", false, "the node never comes back from its restart (sets nodesim.kubectl-skew.io/come-back=never first)")
	fs.DurationVar(&c.sleep, "sleep", 0, "sleep this long before doing anything")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "how long to wait for the cluster and for the node to go NotReady")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(out, usage)
			fs.SetOutput(out)
			fs.PrintDefaults()
			return c, err
		}
		return c, usageErrorf("%v (see --help)", err)
	}
	if fs.NArg() > 0 {
		return c, usageErrorf("unexpected argument %q: the node and version come from SKEW_NODE and SKEW_VERSION (or --node and --version)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	pick := func(name, env string, flagValue string) (value, from string) {
		if set[name] {
			return flagValue, "--" + name
		}
		return getenv(env), "$" + env
	}

	var from string
	c.node, from = pick("node", "SKEW_NODE", *node)
	switch {
	case c.node == "":
		return c, usageErrorf("no node: set SKEW_NODE or pass --node")
	case len(validation.IsDNS1123Subdomain(c.node)) > 0:
		return c, usageErrorf("%s=%q is not a node name", from, c.node)
	}
	c.version, from = pick("version", "SKEW_VERSION", *version)
	switch {
	case c.version == "":
		return c, usageErrorf("no version: set SKEW_VERSION or pass --version")
	case nodesim.ReleaseDistro(c.version) == "":
		return c, usageErrorf("%s=%q is not an exact K3s or RKE2 release (such as v1.33.5+k3s1 or v1.33.5+rke2r1)", from, c.version)
	}
	c.fail, _ = pick("fail", "NODESIM_INSTALL_FAIL", *fail)
	if set["fail"] && strings.TrimSpace(c.fail) == "" {
		return c, usageErrorf("--fail needs a message")
	}
	if c.sleep < 0 {
		return c, usageErrorf("--sleep %v: not a duration to wait", c.sleep)
	}
	if c.timeout <= 0 {
		return c, usageErrorf("--timeout %v: must be more than 0", c.timeout)
	}
	path, _ := pick("kubeconfig", "KUBECONFIG", *kubeconfig)
	for _, p := range filepath.SplitList(path) {
		if p != "" {
			c.kubeconfig = append(c.kubeconfig, p)
		}
	}
	// A failing run changes nothing, so it needs no cluster. Any other run does, and
	// only the sandbox's: no fallback to ~/.kube/config, where a real cluster may be.
	if len(c.kubeconfig) == 0 && c.fail == "" {
		return c, usageErrorf("no kubeconfig: set KUBECONFIG or pass --kubeconfig")
	}
	return c, nil
}
