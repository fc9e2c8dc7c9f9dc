#!/bin/sh
# Start a throwaway single-member etcd on loopback for the etcdstore tests
# that run against a real server (internal/store/etcdstore/external_test.go).
#
#   eval "$(.ci/etcd.sh)"     # installs etcd-server if missing, starts it,
#                             # waits until healthy, prints the export line
#   .ci/etcd.sh stop          # stops it and removes its data dir
#
# Ports: client 127.0.0.1:23790, peer 127.0.0.1:23800 (override with
# TAGWALL_CI_ETCD_PORT / TAGWALL_CI_ETCD_PEER_PORT). Everything but the
# export line goes to stderr.
set -eu

PORT="${TAGWALL_CI_ETCD_PORT:-23790}"
PEER_PORT="${TAGWALL_CI_ETCD_PEER_PORT:-23800}"
STATE="${TMPDIR:-/tmp}/tagwall-ci-etcd.$PORT"
CLIENT="http://127.0.0.1:$PORT"
PEER="http://127.0.0.1:$PEER_PORT"

log() { echo "etcd.sh: $*" >&2; }

if [ "${1:-start}" = stop ]; then
	if [ -f "$STATE/pid" ]; then
		kill "$(cat "$STATE/pid")" 2>/dev/null || true
		log "stopped pid $(cat "$STATE/pid")"
	fi
	rm -rf "$STATE"
	exit 0
fi

if ! command -v etcd >/dev/null 2>&1; then
	log "installing etcd-server"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update >&2
	apt-get install -y etcd-server >&2
	# The package may start a system service on the default ports; ours
	# uses its own ports and data dir, so the two do not collide.
fi

healthy() {
	if command -v curl >/dev/null 2>&1; then
		curl -fsS "$CLIENT/health" 2>/dev/null | grep -q '"health":"true"'
	else
		ETCDCTL_API=3 etcdctl --endpoints="$CLIENT" endpoint health >/dev/null 2>&1
	fi
}

if [ -f "$STATE/pid" ] && kill -0 "$(cat "$STATE/pid")" 2>/dev/null && healthy; then
	log "already running (pid $(cat "$STATE/pid"))"
else
	rm -rf "$STATE"
	mkdir -p "$STATE"
	etcd --name tagwall-ci --data-dir "$STATE/data" \
		--listen-client-urls "$CLIENT" --advertise-client-urls "$CLIENT" \
		--listen-peer-urls "$PEER" --initial-advertise-peer-urls "$PEER" \
		--initial-cluster "tagwall-ci=$PEER" --initial-cluster-state new \
		>"$STATE/etcd.log" 2>&1 &
	echo $! >"$STATE/pid"
	i=0
	until healthy; do
		i=$((i + 1))
		if [ "$i" -gt 100 ] || ! kill -0 "$(cat "$STATE/pid")" 2>/dev/null; then
			log "etcd did not become healthy; log follows"
			cat "$STATE/etcd.log" >&2
			exit 1
		fi
		sleep 0.2
	done
	log "etcd $(etcd --version | head -1 | sed 's/.*: //') healthy at $CLIENT (pid $(cat "$STATE/pid"), log $STATE/etcd.log)"
fi

echo "export TAGWALL_TEST_ETCD_ENDPOINTS=127.0.0.1:$PORT"
