#!/usr/bin/env bash
# meshd's data plane against wireguard-go's, in the same run and the same
# namespace layout (docs: dataplane.md §2.3, the upstream netns topology):
# both daemons' UDP sockets on 127.0.0.1 in one namespace, each TUN moved
# into its own namespace. For each pair (wireguard-go <-> wireguard-go,
# meshd <-> meshd): iperf3 TCP single stream (throughput, retransmits), UDP
# at an offered rate, ping latency, and handshake responses per second
# (genuine initiations from many peers, aclc-mesh-handshake-rate). Prints
# the figures and meshd's ratio to wireguard-go. Needs root. Not in ctest.
#
# usage: bench/bench_meshd.sh [BUILD_DIR]   (default: build)
#   TCP_SECONDS (10), UDP_SECONDS (5), UDP_RATE (1G), PINGS (200),
#   HS_PEERS (1000), HS_SECONDS (4), HS_WINDOW (64),
#   ACLC (BUILD_DIR/aclc: any build's aclc compiles the bundles),
#   IMPLS ("wireguard-go meshd": which pairs to measure),
#   MESHD_ARGS (extra meshd options, e.g. "--handshake-threads 0")
set -euo pipefail

BUILD=${1:-build}
TCP_SECONDS=${TCP_SECONDS:-10}
UDP_SECONDS=${UDP_SECONDS:-5}
UDP_RATE=${UDP_RATE:-1G}
PINGS=${PINGS:-200}
HS_PEERS=${HS_PEERS:-1000}
HS_SECONDS=${HS_SECONDS:-4}
HS_WINDOW=${HS_WINDOW:-64}
IMPLS=${IMPLS:-wireguard-go meshd}
read -r -a MESHD_EXTRA <<< "${MESHD_ARGS:-}"

die() { echo "bench_meshd: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces, TUN)"
for t in ip wg wireguard-go iperf3 ping awk; do
  command -v "$t" >/dev/null || die "$t is not installed: run scripts/setup.sh"
done
for f in meshd aclc-mesh-handshake-rate; do
  [ -x "$BUILD/$f" ] || die "$BUILD/$f is missing: cmake --build $BUILD --target meshd aclc aclc-mesh-handshake-rate"
done
BUILD=$(cd "$BUILD" && pwd)
ACLC=${ACLC:-$BUILD/aclc}
[ -x "$ACLC" ] || die "$ACLC is missing: build the aclc target or set ACLC"

PREFIX="meshb$$"
WORK=$(mktemp -d /tmp/bench-meshd.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  sleep 0.3
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
  for ns in $(ip netns list | awk -v p="$PREFIX" 'index($1, p) == 1 {print $1}'); do ip netns del "$ns"; done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

ADDR1=100.64.0.1
ADDR2=100.64.0.2
PORT1=51001
PORT2=51002

wait_uapi() {  # IFACE PID
  # Ask `wg` only once the socket has been there a moment: `wg` unlinks a
  # socket that refuses connections, as wireguard-go's does between its
  # bind and its listen.
  for _ in $(seq 200); do
    if [ -S "/var/run/wireguard/$1.sock" ]; then
      sleep 0.1
      wg show "$1" >/dev/null 2>&1 && return 0
    fi
    kill -0 "$2" 2>/dev/null || die "the daemon for $1 exited; see $WORK"
    sleep 0.05
  done
  die "no UAPI socket for $1"
}

# setup IMPL: starts the pair in fresh namespaces; sets IF1 IF2 NS0 NS1 NS2 PID1 PID2.
setup() {
  local impl=$1 tag=$2
  NS0="$PREFIX-$tag-udp"; NS1="$PREFIX-$tag-1"; NS2="$PREFIX-$tag-2"
  IF1="mb$$${tag}1"; IF2="mb$$${tag}2"
  for ns in "$NS0" "$NS1" "$NS2"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
  local k1 k2 p1 p2
  k1=$(wg genkey); k2=$(wg genkey); p1=$(echo "$k1" | wg pubkey); p2=$(echo "$k2" | wg pubkey)
  umask 077
  echo "$k1" > "$WORK/$tag-1.key"; echo "$k2" > "$WORK/$tag-2.key"
  if [ "$impl" = wireguard-go ]; then
    LOG_LEVEL=error ip netns exec "$NS0" wireguard-go -f "$IF1" >"$WORK/$tag-1.log" 2>&1 & PID1=$!
    LOG_LEVEL=error ip netns exec "$NS0" wireguard-go -f "$IF2" >"$WORK/$tag-2.log" 2>&1 & PID2=$!
  else
    cat > "$WORK/devices.json" <<JSON
{"users": [{"name": "owner", "email": "owner@example.com"}],
 "devices": [
  {"hostname": "one", "addresses": ["$ADDR1"], "user": "owner@example.com", "wireguardPublicKey": "$p1", "endpoints": ["127.0.0.1:$PORT1"]},
  {"hostname": "two", "addresses": ["$ADDR2"], "user": "owner@example.com", "wireguardPublicKey": "$p2", "endpoints": ["127.0.0.1:$PORT2"]}]}
JSON
    echo '{"acls": [{"action": "accept", "src": ["*"], "dst": ["*:*"]}]}' > "$WORK/policy.hujson"
    "$ACLC" keygen --out "$WORK/control.key" >/dev/null 2>&1
    mkdir -p "$WORK/bundles"
    "$ACLC" compile "$WORK/policy.hujson" --nodes "$WORK/devices.json" --format bundle \
      --sign-key "$WORK/control.key" --out "$WORK/bundles" >/dev/null 2>&1
    local common=(--control-key "$WORK/control.key.pub" --no-addresses "${MESHD_EXTRA[@]}")
    ip netns exec "$NS0" "$BUILD/meshd" "$IF1" --private-key "$WORK/$tag-1.key" --bundle "$WORK/bundles/one.bundle" \
      --state-dir "$WORK/$tag-1.state" --listen-port $PORT1 "${common[@]}" >"$WORK/$tag-1.log" 2>&1 & PID1=$!
    ip netns exec "$NS0" "$BUILD/meshd" "$IF2" --private-key "$WORK/$tag-2.key" --bundle "$WORK/bundles/two.bundle" \
      --state-dir "$WORK/$tag-2.state" --listen-port $PORT2 "${common[@]}" >"$WORK/$tag-2.log" 2>&1 & PID2=$!
  fi
  PIDS+=("$PID1" "$PID2")
  wait_uapi "$IF1" "$PID1"; wait_uapi "$IF2" "$PID2"
  ip -n "$NS0" link set "$IF1" netns "$NS1"
  ip -n "$NS0" link set "$IF2" netns "$NS2"
  if [ "$impl" = wireguard-go ]; then
    wg set "$IF1" private-key "$WORK/$tag-1.key" listen-port $PORT1 peer "$p2" allowed-ips $ADDR2/32 endpoint 127.0.0.1:$PORT2
    wg set "$IF2" private-key "$WORK/$tag-2.key" listen-port $PORT2 peer "$p1" allowed-ips $ADDR1/32 endpoint 127.0.0.1:$PORT1
  fi
  ip -n "$NS1" addr add $ADDR1/32 dev "$IF1"; ip -n "$NS1" link set "$IF1" up; ip -n "$NS1" route add 100.64.0.0/10 dev "$IF1"
  ip -n "$NS2" addr add $ADDR2/32 dev "$IF2"; ip -n "$NS2" link set "$IF2" up; ip -n "$NS2" route add 100.64.0.0/10 dev "$IF2"
  ip netns exec "$NS1" ping -q -c 3 -i 0.2 -W 2 $ADDR2 >/dev/null || die "$impl: no tunnel (logs in $WORK)"
}

teardown() {
  kill "$PID1" "$PID2" 2>/dev/null || true
  wait "$PID1" "$PID2" 2>/dev/null || true
  ip netns del "$NS1"; ip netns del "$NS2"; ip netns del "$NS0"
}

tun_tx_dropped() { ip -n "$1" -s link show "$2" | awk '/TX:/ {getline; print $4; exit}'; }
udp_rcvbuf_errors() { ip netns exec "$1" awk '/^Udp:/ {if (++n == 2) {print $6 + 0; exit}}' /proc/net/snmp; }

# measure IMPL TAG: prints "key value" lines into $WORK/TAG.results.
measure() {
  local impl=$1 tag=$2 out="$WORK/$2.results"
  setup "$impl" "$tag"
  ip netns exec "$NS2" iperf3 -s -1 -B $ADDR2 >/dev/null 2>&1 &
  sleep 0.3
  ip netns exec "$NS1" iperf3 -c $ADDR2 -t "$TCP_SECONDS" -f m > "$WORK/$tag-tcp.txt" 2>&1 || true
  awk '/sender/ {print "tcp_mbps", $7; print "tcp_retr", $9}' "$WORK/$tag-tcp.txt" > "$out"
  ip netns exec "$NS2" iperf3 -s -1 -B $ADDR2 >/dev/null 2>&1 &
  sleep 0.3
  local tun_drops0 udp_errs0 app_errs0
  tun_drops0=$(tun_tx_dropped "$NS1" "$IF1"); udp_errs0=$(udp_rcvbuf_errors "$NS0"); app_errs0=$(udp_rcvbuf_errors "$NS2")
  ip netns exec "$NS1" iperf3 -c $ADDR2 -u -b "$UDP_RATE" -l 1360 -t "$UDP_SECONDS" -f m > "$WORK/$tag-udp.txt" 2>&1 || true
  # Where UDP loss happened: the sender's TUN queue (the daemon read too
  # slowly), the daemons' UDP socket, or the iperf3 server's socket.
  echo "udp drops: sender TUN queue $(( $(tun_tx_dropped "$NS1" "$IF1") - tun_drops0 )), daemons' UDP socket $(( $(udp_rcvbuf_errors "$NS0") - udp_errs0 )), iperf3 server's socket $(( $(udp_rcvbuf_errors "$NS2") - app_errs0 ))" >> "$WORK/$tag-udp.txt"
  awk '/receiver/ {print "udp_mbps", $7; gsub(/[()%]/, "", $12); print "udp_loss_pct", $12}' "$WORK/$tag-udp.txt" >> "$out"
  ip netns exec "$NS1" ping -q -n -c "$PINGS" -i 0.005 $ADDR2 > "$WORK/$tag-ping.txt" 2>&1 || true
  awk -F'[/ ]+' '/^rtt/ {print "ping_avg_ms", $8; print "ping_max_ms", $9}' "$WORK/$tag-ping.txt" >> "$out"
  ip netns exec "$NS0" "$BUILD/aclc-mesh-handshake-rate" "$IF2" $PORT2 "$HS_PEERS" "$HS_SECONDS" "$HS_WINDOW" \
    > "$WORK/$tag-hs.txt" 2>&1 || true
  awk '/^handshakes\/s/ {print "handshakes_per_s", $2}' "$WORK/$tag-hs.txt" >> "$out"
  echo "== $impl <-> $impl"
  sed -n '/sender/p;/receiver/p' "$WORK/$tag-tcp.txt" | sed 's/^/  tcp: /'
  sed -n '/receiver/p;/^udp drops/p' "$WORK/$tag-udp.txt" | sed 's/^/  udp: /'
  grep '^rtt' "$WORK/$tag-ping.txt" | sed 's/^/  ping: /' || true
  sed 's/^/  /' "$WORK/$tag-hs.txt"
  teardown
}

value() { [ -f "$WORK/$1.results" ] && awk -v k="$2" '$1 == k {print $2}' "$WORK/$1.results" || true; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.2fx", a / b }'; }

echo "bench_meshd: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, $(uname -r)"
for impl in $IMPLS; do
  case $impl in
    wireguard-go) measure wireguard-go g ;;
    meshd) measure meshd m ;;
    *) die "unknown implementation $impl" ;;
  esac
done
printf '\n%-22s %14s %14s %10s\n' 'figure (meshd/wg-go)' wireguard-go meshd ratio
for k in tcp_mbps tcp_retr udp_mbps udp_loss_pct ping_avg_ms ping_max_ms handshakes_per_s; do
  g=$(value g $k); m=$(value m $k)
  printf '%-22s %14s %14s %10s\n' "$k" "${g:-n/a}" "${m:-n/a}" "$(ratio "$m" "$g")"
done
