#!/usr/bin/env bash
# make demo: the kubectl-skew story against a real control plane on this machine.
# Builds what is missing (the first run compiles Kubernetes: minutes), starts the
# sandbox with the skewed K3s scenario, runs the plugin through kubectl, stops it all.
# Sections are functions so that later commands (plan, upgrade) slot in.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bold() { if [[ -t 1 && -z ${NO_COLOR:-} ]]; then printf '\033[1m%s\033[0m\n' "$*"; else printf '%s\n' "$*"; fi; }

# step TITLE CMD...: show the command as a user would type it, then run it. A non-zero
# exit is part of the story (check exits 3 on findings), so it is shown, not fatal.
step() {
	local title=$1
	shift
	echo
	bold "== $title"
	bold "\$ $*"
	local rc=0
	"$@" || rc=$?
	((rc == 0)) || echo "(exit code $rc)"
	return 0
}

inside() {
	# Runs under `sandbox run`: KUBECONFIG points at the sandbox, the pinned kubectl
	# is first on PATH; put the freshly built plugin before it.
	export PATH="$ROOT/bin:$PATH"
	step "The cluster: K3s HA on v1.31, five agents, four of them behind" \
		kubectl get nodes
	step "Check it against the Kubernetes version skew policy" \
		kubectl skew check
	step "What stands between this cluster and a v1.32 control plane?" \
		kubectl skew check --target v1.32
	echo
	bold "== What a user would do next"
	cat <<-'EOF'
	  1. k3s-agent-5 (v1.27) is four minors behind the v1.31 servers: outside the policy.
	     Upgrade it (and k3s-agent-4, three behind) before anything else: each blocks the
	     next control-plane minor.
	  2. Then move the control plane one minor at a time, servers first, agents after,
	     re-running `kubectl skew check --target vX.Y` before each hop.
	  3. In CI: `kubectl skew check --fail-on=warning -o json` exits 3 on any finding.
	EOF
	upgrade_story
	fleet_story
}

# upgrade_story is steps 1 and 2 done by kubectl skew: the path to stable, the upgrade
# through the real system-upgrade-controller with live progress, and a clean check.
upgrade_story() {
	local channels=(--channel-server "$SANDBOX_K3S_CHANNELS")
	step "The path to the stable channel: one minor per hop, servers before agents" \
		kubectl skew plan --channel stable "${channels[@]}"
	step "Upgrade to stable: etcd snapshot first, then every hop, followed node by node" \
		kubectl skew upgrade --channel stable "${channels[@]}" --snapshot --yes --wait
	step "Where the upgrade stands" \
		kubectl skew status
	step "The cluster is within the skew policy again" \
		kubectl skew check
}

# fleet_story ends on the fleet view: every context of the kubeconfig in one run. The
# sandbox's kubeconfig has four identities; two may not even list nodes, and show how
# a broken context gets its own row without stopping the others.
fleet_story() {
	step "The fleet view: every context of the kubeconfig, with its next step on stable" \
		kubectl skew check --all-contexts --channel stable \
		--channel-server "k3s=$SANDBOX_K3S_CHANNELS,rke2=$SANDBOX_RKE2_CHANNELS"
}

if [[ ${1:-} == --inside ]]; then
	inside
	exit 0
fi

bold "kubectl-skew demo: a real kube-apiserver and etcd on this machine, no cluster needed."
echo "The first run builds the pinned tools (the v1.37 control plane, kubectl, system-upgrade-controller)"
echo "from source: about 20 minutes on two cores with an empty Go build cache. Later runs start in seconds."
echo
bash hack/tools.sh --newest
echo "demo: building kubectl-skew and the sandbox"
"${MAKE:-make}" --no-print-directory build >/dev/null
go build -o .cache/bin/sandbox ./test/cmd/sandbox
echo
exec .cache/bin/sandbox run --scenario k3s-skewed --suc --channels --node-delay 700ms -- bash "$ROOT/hack/demo.sh" --inside
