#!/usr/bin/env bash
# make bench: on the 5,000-node scenario, time `kubectl skew check -o json` against
# `kubectl get nodes -o json` and the raw node list, interleaved over ROUNDS rounds,
# and print medians, peak memory and ratios. Goals: check <= 0.5x get nodes, <= 1.3x the raw list.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
ROUNDS=${ROUNDS:-7}

ms() { echo $((($(date +%s%N) - $1) / 1000000)); }

median() { sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : int((v[NR/2]+v[NR/2+1])/2)}'; }

inside() {
	export PATH="$ROOT/bin:$PATH"
	local names=(check get raw)
	local -A cmd=(
		[check]="kubectl skew check -o json"
		[get]="kubectl get nodes -o json"
		[raw]="kubectl get --raw /api/v1/nodes"
	)
	local -A times=()
	# One warm-up of each: the first request also fills the apiserver's watch cache
	# and kubectl's discovery cache.
	for n in "${names[@]}"; do ${cmd[$n]} >/dev/null 2>&1 || true; done
	for ((r = 1; r <= ROUNDS; r++)); do
		for n in "${names[@]}"; do
			local t0 rc=0
			t0=$(date +%s%N)
			${cmd[$n]} >/dev/null 2>/tmp/bench.err.$$ || rc=$?
			times[$n]+="$(ms "$t0") "
			# check exits 3 on findings; anything else is a failed run, not a timing.
			if [[ $rc -ne 0 && ! ($n == check && $rc -eq 3) ]]; then
				echo "bench: '${cmd[$n]}' exited $rc:" >&2
				cat /tmp/bench.err.$$ >&2
				rm -f /tmp/bench.err.$$
				exit 1
			fi
		done
	done
	rm -f /tmp/bench.err.$$
	local -A med=()
	# Peak memory (max RSS) of one run of each, where GNU time is installed.
	local -A rss=()
	if [[ -x /usr/bin/time ]]; then
		for n in "${names[@]}"; do
			/usr/bin/time -f '%M' -o /tmp/bench.rss.$$ ${cmd[$n]} >/dev/null 2>&1 || true
			rss[$n]=$(tail -n 1 /tmp/bench.rss.$$)
		done
	fi
	rm -f /tmp/bench.rss.$$
	echo
	echo "bench: 5,000 nodes, $ROUNDS rounds, median wall time"
	for n in "${names[@]}"; do
		med[$n]=$(tr ' ' '\n' <<<"${times[$n]}" | grep . | median)
		printf '  %-34s %6d ms   %s   (runs: %s)\n' "${cmd[$n]}" "${med[$n]}" "${rss[$n]:+peak $((rss[$n] / 1024)) MiB}" "${times[$n]% }"
	done
	awk -v c="${med[check]}" -v g="${med[get]}" -v r="${med[raw]}" 'BEGIN {
		printf "  check / get nodes -o json          %6.2f     (goal <= 0.50)\n", c / (g ? g : 1)
		printf "  check / raw list                   %6.2f     (goal <= 1.30)\n", c / (r ? r : 1)
	}'
}

if [[ ${1:-} == --inside ]]; then
	inside
	exit 0
fi

bash hack/tools.sh
"${MAKE:-make}" --no-print-directory build >/dev/null
go build -o .cache/bin/sandbox ./test/cmd/sandbox
exec .cache/bin/sandbox run --scenario k3s-5000 -- bash "$ROOT/hack/bench.sh" --inside
