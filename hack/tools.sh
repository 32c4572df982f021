#!/usr/bin/env bash
# Builds the sandbox's pinned tools into .cache/bin and installs etcd when missing:
#   kube-apiserver, kube-controller-manager, kube-scheduler and kubectl v1.37.2
#                                        (tools/apiserver, its own go.mod)
#   kube-apiserver, kube-controller-manager, kube-scheduler v1.28.15, the oldest minor the
#   e2e matrix runs, into .cache/bin/k8s-v1.28   (tools/apiserver-v1.28)
#   system-upgrade-controller v0.20.1    (tools/suc, its own go.mod)
#   etcd 3.4                             (Debian package etcd-server)
#   prometheus 2.42                      (Debian package prometheus, the watch e2e test's scraper)
# --newest skips the v1.28 control plane (the demo needs only the newest); --oldest builds
# only that (make test builds it beside the tests, and must not build the rest twice).
# A tool is rebuilt only when its stamp (pins, Go version, flags) changes, so a second
# run does nothing. The first run compiles about 2,300 packages: about 20 minutes on two cores
# with an empty Go build cache, seconds when the cache holds them.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.cache/bin"
STAMPS="$ROOT/.cache/stamps"
LOGS="$ROOT/.cache/logs"
mkdir -p "$BIN" "$STAMPS" "$LOGS"

K8S_VERSION=v1.37.2
OLDEST_K8S_VERSION=v1.28.15
SUC_VERSION=v0.20.1
# k8s_ldflags VERSION: /version reports VERSION (else v0.0.0-master).
k8s_ldflags() {
	local v=$1 minor
	minor=$(cut -d. -f2 <<<"$v")
	echo "-s -w -X k8s.io/component-base/version.gitVersion=$v -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
}
SUC_LDFLAGS="-s -w -X github.com/rancher/system-upgrade-controller/pkg/version.Version=$SUC_VERSION -X github.com/rancher/system-upgrade-controller/pkg/version.GitCommit=$SUC_VERSION"

say() { printf 'tools: %s\n' "$*"; }

# stamp_of prints what a build depends on; a tool whose stamp is unchanged is current.
stamp_of() {
	local module=$1 ldflags=$2
	{ cat "$ROOT/tools/$module/go.mod" "$ROOT/tools/$module/go.sum"; go version; echo "$ldflags"; } | sha256sum | cut -d' ' -f1
}

current() {
	local name=$1 stamp=$2
	[[ -x "$BIN/$name" && -f "$STAMPS/$name" && "$(cat "$STAMPS/$name")" == "$stamp" ]]
}

# build MODULE LDFLAGS NAME=PKG... builds the packages of one tools module in one go
# build (they share most of the compile work), in the background, logging to a file.
# NAME may name a subdirectory of .cache/bin (k8s-v1.28/kube-apiserver).
build() {
	local module=$1 ldflags=$2
	shift 2
	local stamp todo=() pkgs=()
	stamp=$(stamp_of "$module" "$ldflags")
	for spec in "$@"; do
		local name=${spec%%=*} pkg=${spec#*=}
		if current "$name" "$stamp"; then
			say "$name is up to date"
		else
			todo+=("$name")
			pkgs+=("$pkg")
		fi
	done
	((${#todo[@]})) || return 0
	say "building ${todo[*]} (module tools/$module; log .cache/logs/build-$module.log)"
	(
		cd "$ROOT/tools/$module"
		# -v names each package as it is compiled: the line count is the progress shown.
		CGO_ENABLED=0 go build -v -trimpath -ldflags "$ldflags" -o "$BIN/.build-$module/" "${pkgs[@]}"
		for name in "${todo[@]}"; do
			mkdir -p "$(dirname "$BIN/$name")" "$(dirname "$STAMPS/$name")"
			mv -f "$BIN/.build-$module/$(basename "$name")" "$BIN/$name"
			echo "$stamp" >"$STAMPS/$name"
		done
		rmdir "$BIN/.build-$module"
	) >"$LOGS/build-$module.log" 2>&1 &
	PIDS+=($!)
	NAMES+=("${todo[*]}")
	MODULES+=("$module")
}

# ensure_apt NAME PACKAGE WHAT: the binary NAME (on PATH, in /usr/bin or in .cache/bin), or
# Debian's PACKAGE installed through apt-get when it is missing.
ensure_apt() {
	local name=$1 pkg=$2 what=$3
	if command -v "$name" >/dev/null 2>&1 || [[ -x /usr/bin/$name || -x "$BIN/$name" ]]; then
		say "$name: $("$name" --version 2>&1 | awk 'NR==1' || echo present)"
		return 0
	fi
	if ! command -v apt-get >/dev/null 2>&1; then
		say "$name is missing and this machine has no apt-get."
		say "Install $what (Debian/Ubuntu package: $pkg) and put it on PATH, or copy it to $BIN/$name."
		return 1
	fi
	local sudo=()
	if [[ $(id -u) -ne 0 ]]; then
		if command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
			say "$name is missing: run 'apt-get install -y $pkg' as root"
			return 1
		fi
	fi
	say "installing $name (apt-get install $pkg)"
	# The package's service may not start here (no init system); the binary is all we use.
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >>"$LOGS/apt.log" 2>&1 || true
	if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >>"$LOGS/apt.log" 2>&1; then
		say "apt-get install $pkg failed; see .cache/logs/apt.log"
		return 1
	fi
	say "$name: $("$name" --version 2>&1 | awk 'NR==1')"
}

PIDS=()
NAMES=()
MODULES=()
began=$SECONDS
only=${1:-}
case $only in
'' | --newest | --oldest) ;;
*)
	say "unknown option $only: use --newest, --oldest or nothing"
	exit 2
	;;
esac
if [[ $only != --oldest ]]; then
	ensure_apt etcd etcd-server "etcd 3.4 or newer"
	# The watch e2e test scrapes `kubectl skew watch` with a real Prometheus.
	ensure_apt prometheus prometheus "Prometheus 2.x"
	build apiserver "$(k8s_ldflags "$K8S_VERSION")" \
		kube-apiserver=k8s.io/kubernetes/cmd/kube-apiserver \
		kube-controller-manager=k8s.io/kubernetes/cmd/kube-controller-manager \
		kube-scheduler=k8s.io/kubernetes/cmd/kube-scheduler \
		kubectl=k8s.io/kubernetes/cmd/kubectl
	build suc "$SUC_LDFLAGS" \
		system-upgrade-controller=github.com/rancher/system-upgrade-controller
fi
# The oldest control plane of the e2e matrix (make test-v1.28); kubectl stays the newest.
[[ $only == --newest ]] || build apiserver-v1.28 "$(k8s_ldflags "$OLDEST_K8S_VERSION")" \
	k8s-v1.28/kube-apiserver=k8s.io/kubernetes/cmd/kube-apiserver \
	k8s-v1.28/kube-controller-manager=k8s.io/kubernetes/cmd/kube-controller-manager \
	k8s-v1.28/kube-scheduler=k8s.io/kubernetes/cmd/kube-scheduler

if ((${#PIDS[@]})); then
	say "the first build compiles about 2,300 packages: about 20 minutes on two cores with an empty Go build cache, seconds with a warm one"
	failed=0
	left=${#PIDS[@]}
	declare -A finished=()
	while ((left > 0)); do
		sleep 5
		for i in "${!PIDS[@]}"; do
			[[ -n ${finished[$i]:-} ]] && continue
			if kill -0 "${PIDS[$i]}" 2>/dev/null; then
				if (((SECONDS - began) % 30 < 5)); then
					say "building ${NAMES[$i]}: $(wc -l <"$LOGS/build-${MODULES[$i]}.log") packages compiled ($((SECONDS - began))s)"
				fi
				continue
			fi
			finished[$i]=1
			left=$((left - 1))
			if wait "${PIDS[$i]}"; then
				say "built ${NAMES[$i]} ($((SECONDS - began))s)"
			else
				say "building ${NAMES[$i]} failed; last lines of .cache/logs/build-${MODULES[$i]}.log:"
				tail -n 20 "$LOGS/build-${MODULES[$i]}.log" >&2
				failed=1
			fi
		done
	done
	((failed == 0)) || exit 1
fi
say "ready in $BIN ($((SECONDS - began))s)"
