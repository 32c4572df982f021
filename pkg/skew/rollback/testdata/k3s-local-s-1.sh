#!/usr/bin/env bash
# Rollback of k3s to v1.30.14+k3s1: the steps that run on s-1. Written by kubectl skew rollback;
# run each step when RUNBOOK.txt reaches it, and do its check before the next one.
set -euo pipefail
node=s-1
step="${1:?usage: $0 STEP, one of 2 5}"
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
export PATH="$PATH:/usr/local/bin:/opt/k3s/bin"
systemctl cat k3s.service >/dev/null 2>&1 || { echo "no k3s.service on this host: this script is for server $node" >&2; exit 1; }
have="$(k3s --version 2>/dev/null | awk 'NR==1 {print $3}')"
want='v1.30.14+k3s1 or v1.31.13+k3s1'
case "$have" in
  v1.30.14+k3s1|v1.31.13+k3s1) ;;
  *) echo "k3s reports '$have', not $want: is this $node?" >&2; exit 1 ;;
esac
case "$step" in
  2)
    # Stop k3s on server s-1
    systemctl stop k3s
    k3s-killall.sh
    echo 'step 2 done; check: systemctl is-active k3s prints inactive, on every server, before the next step'
    ;;
  5)
    # Server s-1: install v1.30.14+k3s1, restore snapshot kubectl-skew-pre-upgrade-v1.30.14-k3s1-s-1-1764583000, start
    if [ -f /etc/systemd/system/k3s.service.env ]; then set -a; . /etc/systemd/system/k3s.service.env; set +a; fi
    curl -sfL https://get.k3s.io | INSTALL_K3S_VERSION=v1.30.14+k3s1 INSTALL_K3S_SKIP_START=true INSTALL_K3S_EXEC="server --cluster-init --token ${K3S_TOKEN:?export K3S_TOKEN first, the cluster keeps it masked} --tls-san k3s.example.com" sh -
    k3s server --cluster-reset --cluster-reset-restore-path=/var/lib/rancher/k3s/server/db/snapshots/kubectl-skew-pre-upgrade-v1.30.14-k3s1-s-1-1764583000 --token "${K3S_TOKEN:?export K3S_TOKEN first, the cluster keeps it masked}"
    systemctl start k3s
    echo 'step 5 done; check: kubectl get node s-1 -o jsonpath='\''{.status.nodeInfo.kubeletVersion} {.status.conditions[?(@.type=="Ready")].status}{"\n"}'\'' prints "v1.30.14+k3s1 True"'
    ;;
  *) echo "no step $step on $node" >&2; exit 2 ;;
esac
