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
# The filter's cost, A/B: meshd-unfiltered is meshd built with a packet
# policy that admits everything (runtime/CMakeLists.txt). Both meshd pairs
# run the same bundles, compiled from a policy of 301 rules (each of
# TABLE_RULES ports open to its own /24 and to the peer, and iperf3's port
# 5201 between the two nodes), so the table lookup is not a trivial one.
# With both in IMPLS, AB_ROUNDS TCP runs of each alternate (ABBA order) and
# the medians are compared: throughput, and CPU seconds of both daemons per
# GB delivered (utime + stime from /proc/PID/stat; less noisy than
# throughput on a shared machine).
#
# usage: bench/bench_meshd.sh [BUILD_DIR]   (default: build)
#   TCP_SECONDS (10), UDP_SECONDS (5), UDP_RATE (1G), PINGS (200),
#   HS_PEERS (1000), HS_SECONDS (4), HS_WINDOW (64),
#   ACLC (BUILD_DIR/aclc: any build's aclc compiles the bundles),
#   IMPLS ("wireguard-go meshd meshd-unfiltered": which pairs to measure),
#   AB_ROUNDS (3; 0 skips the filter A/B), AB_ONLY (1: only the A/B),
#   TABLE_RULES (300),
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
IMPLS=${IMPLS:-wireguard-go meshd meshd-unfiltered}
AB_ROUNDS=${AB_ROUNDS:-3}
AB_ONLY=${AB_ONLY:-0}
TABLE_RULES=${TABLE_RULES:-300}
read -r -a MESHD_EXTRA <<< "${MESHD_ARGS:-}"

die() { echo "bench_meshd: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces, TUN)"
for t in ip wg wireguard-go iperf3 ping awk; do
  command -v "$t" >/dev/null || die "$t is not installed: run scripts/setup.sh"
done
for impl in $IMPLS; do
  case $impl in wireguard-go | meshd | meshd-unfiltered) ;; *) die "unknown implementation $impl" ;; esac
done
[[ $AB_ROUNDS =~ ^[0-9]+$ ]] || die "AB_ROUNDS must be a number of rounds"
[[ $TABLE_RULES =~ ^[0-9]+$ ]] && [ "$TABLE_RULES" -le 1000 ] || die "TABLE_RULES must be 0..1000"
# The A/B runs when both meshd kinds are measured.
AB=0
case " $IMPLS " in *" meshd "*) case " $IMPLS " in *" meshd-unfiltered "*) [ "$AB_ROUNDS" -gt 0 ] && AB=1 ;; esac ;; esac
[ "$AB_ONLY" = 1 ] && [ $AB = 0 ] && die "AB_ONLY=1 needs meshd and meshd-unfiltered in IMPLS and AB_ROUNDS > 0"
for f in aclc-mesh-handshake-rate $(printf '%s\n' $IMPLS | grep '^meshd' || true); do
  [ -x "$BUILD/$f" ] || die "$BUILD/$f is missing: cmake --build $BUILD --target $f"
done
HZ=$(getconf CLK_TCK)
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

# The node keys and, once, the meshd bundles: every pair uses the same ones.
umask 077
wg genkey > "$WORK/1.key"; wg genkey > "$WORK/2.key"
P1=$(wg pubkey < "$WORK/1.key"); P2=$(wg pubkey < "$WORK/2.key")
umask 022

# A table with TABLE_RULES + 1 cells on each node: port 1000 + 3i open to
# 10.a.b.0/24 (no two adjacent, so nothing merges) and to the peer, and
# iperf3's 5201 (TCP and UDP, and with it ICMP echo) between the two nodes.
write_policy() {
  awk -v n="$TABLE_RULES" -v a1=$ADDR1 -v a2=$ADDR2 'BEGIN {
    printf "{\"acls\": [\n"
    printf "  {\"action\": \"accept\", \"src\": [\"%s\", \"%s\"], \"dst\": [\"%s:5201\", \"%s:5201\"]}", a1, a2, a1, a2
    for (i = 0; i < n; i++)
      printf ",\n  {\"action\": \"accept\", \"src\": [\"10.%d.%d.0/24\", \"%s\"], \"dst\": [\"%s:%d\", \"%s:%d\"]}",
        1 + i % 200, (i * 7) % 256, a1, a1, 1000 + 3 * i, a2, 1000 + 3 * i
    printf "\n]}\n"
  }' > "$WORK/policy.hujson"
}

make_bundles() {
  cat > "$WORK/devices.json" <<JSON
{"users": [{"name": "owner", "email": "owner@example.com"}],
 "devices": [
  {"hostname": "one", "addresses": ["$ADDR1"], "user": "owner@example.com", "wireguardPublicKey": "$P1", "endpoints": ["127.0.0.1:$PORT1"]},
  {"hostname": "two", "addresses": ["$ADDR2"], "user": "owner@example.com", "wireguardPublicKey": "$P2", "endpoints": ["127.0.0.1:$PORT2"]}]}
JSON
  write_policy
  "$ACLC" keygen --out "$WORK/control.key" >"$WORK/compile.log" 2>&1 || die "aclc keygen failed: $(cat "$WORK/compile.log")"
  mkdir -p "$WORK/bundles"
  "$ACLC" compile "$WORK/policy.hujson" --nodes "$WORK/devices.json" --format bundle \
    --sign-key "$WORK/control.key" --out "$WORK/bundles" >>"$WORK/compile.log" 2>&1 ||
    die "aclc compile failed: $(cat "$WORK/compile.log")"
}

# setup IMPL TAG: starts the pair in fresh namespaces; sets IF1 IF2 NS0 NS1 NS2 PID1 PID2.
setup() {
  local impl=$1 tag=$2
  NS0="$PREFIX-$tag-udp"; NS1="$PREFIX-$tag-1"; NS2="$PREFIX-$tag-2"
  IF1="mb$$${tag}1"; IF2="mb$$${tag}2"
  for ns in "$NS0" "$NS1" "$NS2"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
  if [ "$impl" = wireguard-go ]; then
    LOG_LEVEL=error ip netns exec "$NS0" wireguard-go -f "$IF1" >"$WORK/$tag-1.log" 2>&1 & PID1=$!
    LOG_LEVEL=error ip netns exec "$NS0" wireguard-go -f "$IF2" >"$WORK/$tag-2.log" 2>&1 & PID2=$!
  else  # meshd or meshd-unfiltered
    local common=(--control-key "$WORK/control.key.pub" --no-addresses "${MESHD_EXTRA[@]}")
    ip netns exec "$NS0" "$BUILD/$impl" "$IF1" --private-key "$WORK/1.key" --bundle "$WORK/bundles/one.bundle" \
      --state-dir "$WORK/$tag-1.state" --listen-port $PORT1 "${common[@]}" >"$WORK/$tag-1.log" 2>&1 & PID1=$!
    ip netns exec "$NS0" "$BUILD/$impl" "$IF2" --private-key "$WORK/2.key" --bundle "$WORK/bundles/two.bundle" \
      --state-dir "$WORK/$tag-2.state" --listen-port $PORT2 "${common[@]}" >"$WORK/$tag-2.log" 2>&1 & PID2=$!
  fi
  PIDS+=("$PID1" "$PID2")
  wait_uapi "$IF1" "$PID1"; wait_uapi "$IF2" "$PID2"
  ip -n "$NS0" link set "$IF1" netns "$NS1"
  ip -n "$NS0" link set "$IF2" netns "$NS2"
  if [ "$impl" = wireguard-go ]; then
    wg set "$IF1" private-key "$WORK/1.key" listen-port $PORT1 peer "$P2" allowed-ips $ADDR2/32 endpoint 127.0.0.1:$PORT2
    wg set "$IF2" private-key "$WORK/2.key" listen-port $PORT2 peer "$P1" allowed-ips $ADDR1/32 endpoint 127.0.0.1:$PORT1
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

# Pairs that stay up together (the A/B): save_pair TAG after setup, use_pair TAG to measure it.
declare -A SAVED
save_pair() { SAVED[$1]="$NS0 $NS1 $NS2 $IF1 $IF2 $PID1 $PID2"; }
use_pair() { read -r NS0 NS1 NS2 IF1 IF2 PID1 PID2 <<< "${SAVED[$1]}"; }

tun_tx_dropped() { ip -n "$1" -s link show "$2" | awk '/TX:/ {getline; print $4; exit}'; }
tun_rx_bytes() { ip -n "$1" -s link show "$2" | awk '/RX:/ {getline; print $1; exit}'; }
# utime + stime of every thread of PID, in clock ticks (fields 14 and 15,
# counted after the parenthesised command name).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }

# tcp_run NAME: one iperf3 TCP single-stream run over the current pair,
# output in $WORK/NAME-tcp.txt; prints "Mbit/s retransmits cpu_s_per_gb",
# the last being both daemons' CPU seconds per 10^9 bytes delivered to the
# receiving host (its TUN's RX bytes, IP headers included).
tcp_run() {
  local name=$1 ticks0 bytes0 ticks1 bytes1
  ip netns exec "$NS2" iperf3 -s -1 -B $ADDR2 >/dev/null 2>&1 &
  sleep 0.3
  ticks0=$(( $(cpu_ticks "$PID1") + $(cpu_ticks "$PID2") )); bytes0=$(tun_rx_bytes "$NS2" "$IF2")
  ip netns exec "$NS1" iperf3 -c $ADDR2 -t "$TCP_SECONDS" -f m > "$WORK/$name-tcp.txt" 2>&1 || true
  ticks1=$(( $(cpu_ticks "$PID1") + $(cpu_ticks "$PID2") )); bytes1=$(tun_rx_bytes "$NS2" "$IF2")
  awk -v ticks=$((ticks1 - ticks0)) -v hz="$HZ" -v bytes=$((bytes1 - bytes0)) '
    /sender/ {mbps = $7; retr = $9}
    END {
      if (mbps == "") mbps = "n/a"
      if (retr == "") retr = "n/a"
      if (bytes > 0) printf "%s %s %.3f\n", mbps, retr, ticks / hz / (bytes / 1e9)
      else printf "%s %s n/a\n", mbps, retr
    }' "$WORK/$name-tcp.txt"
}
udp_rcvbuf_errors() { ip netns exec "$1" awk '/^Udp:/ {if (++n == 2) {print $6 + 0; exit}}' /proc/net/snmp; }

# measure IMPL TAG: prints "key value" lines into $WORK/TAG.results.
measure() {
  local impl=$1 tag=$2 out="$WORK/$2.results"
  setup "$impl" "$tag"
  local mbps retr cpu_per_gb
  read -r mbps retr cpu_per_gb <<< "$(tcp_run "$tag")"
  printf 'tcp_mbps %s\ntcp_retr %s\ntcp_cpu_s_per_gb %s\n' "$mbps" "$retr" "$cpu_per_gb" > "$out"
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
  echo "  tcp: both daemons' CPU: $cpu_per_gb s per GB delivered"
  sed -n '/receiver/p;/^udp drops/p' "$WORK/$tag-udp.txt" | sed 's/^/  udp: /'
  grep '^rtt' "$WORK/$tag-ping.txt" | sed 's/^/  ping: /' || true
  sed 's/^/  /' "$WORK/$tag-hs.txt"
  teardown
}

value() { [ -f "$WORK/$1.results" ] && awk -v k="$2" '$1 == k {print $2}' "$WORK/$1.results" || true; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a"; else printf "%.2fx", a / b }'; }
# (a - b) / b as a signed percentage.
cost_pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a"; else printf "%+.1f %%", 100 * (a - b) / b }'; }
# The median of the numbers on stdin ("n/a" if none).
median() {
  grep -E '^-?[0-9.]+$' | sort -g | awk '{v[NR] = $1} END {
    if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# The filter A/B: a meshd pair and a meshd-unfiltered pair up side by side
# (one idle while the other is measured), AB_ROUNDS TCP runs each in ABBA
# order so that drift in the machine's load falls on both alike.
filter_ab() {
  setup meshd f; save_pair f
  setup meshd-unfiltered u2; save_pair u2
  echo "== filter A/B: meshd (filtered, $(( TABLE_RULES + 1 ))-cell table) vs meshd-unfiltered, TCP ${TCP_SECONDS} s, $AB_ROUNDS rounds"
  : > "$WORK/ab.results"
  local r tag mbps retr cpu_per_gb
  for r in $(seq "$AB_ROUNDS"); do
    local order="f u2"
    [ $((r % 2)) = 0 ] && order="u2 f"
    for tag in $order; do
      use_pair "$tag"
      read -r mbps retr cpu_per_gb <<< "$(tcp_run "ab$r-$tag")"
      echo "$r $tag $mbps $cpu_per_gb" >> "$WORK/ab.results"
      printf '  round %d %-17s %8s Mbit/s %6s retr %8s CPU s/GB\n' "$r" \
        "$([ "$tag" = f ] && echo meshd || echo meshd-unfiltered)" "$mbps" "$retr" "$cpu_per_gb"
    done
  done
  for tag in f u2; do use_pair "$tag"; teardown; done
}
ab_column() { awk -v t="$1" -v c="$2" '$2 == t {print $c}' "$WORK/ab.results"; }
# Per round: filtered against unfiltered, column C (3 Mbit/s, 4 CPU s/GB).
ab_paired() {
  awk -v c="$1" -v kind="$2" '
    {v[$1 " " $2] = $c; if ($1 > last) last = $1}
    END { for (r = 1; r <= last; r++) { f = v[r " f"]; u = v[r " u2"]
      if (f == "" || u == "" || f == "n/a" || u == "n/a" || u + 0 == 0) continue
      if (kind == "ratio") print f / u; else print 100 * (f - u) / u } }' "$WORK/ab.results"
}

echo "bench_meshd: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
case " $IMPLS " in *" meshd"*) make_bundles ;; esac
[ "$AB_ONLY" = 1 ] && IMPLS_MEASURED="" || IMPLS_MEASURED=$IMPLS
for impl in $IMPLS_MEASURED; do
  case $impl in
    wireguard-go) measure wireguard-go g ;;
    meshd) measure meshd m ;;
    meshd-unfiltered) measure meshd-unfiltered u ;;
  esac
done
[ $AB = 1 ] && filter_ab

if [ -n "$IMPLS_MEASURED" ]; then
  printf '\n%-22s %14s %14s %10s %17s\n' 'figure' wireguard-go meshd meshd/wg-go meshd-unfiltered
  for k in tcp_mbps tcp_retr tcp_cpu_s_per_gb udp_mbps udp_loss_pct ping_avg_ms ping_max_ms handshakes_per_s; do
    g=$(value g $k); m=$(value m $k); u=$(value u $k)
    printf '%-22s %14s %14s %10s %17s\n' "$k" "${g:-n/a}" "${m:-n/a}" "$(ratio "$m" "$g")" "${u:-n/a}"
  done
fi
if [ $AB = 1 ]; then
  f_mbps=$(ab_column f 3 | median); u_mbps=$(ab_column u2 3 | median)
  f_cpu=$(ab_column f 4 | median); u_cpu=$(ab_column u2 4 | median)
  printf '\nfilter A/B, medians of %d alternating TCP rounds (%d-cell table):\n' "$AB_ROUNDS" $(( TABLE_RULES + 1 ))
  printf '  %-17s %8s Mbit/s %8s CPU s/GB (both daemons)\n' meshd "$f_mbps" "$f_cpu" meshd-unfiltered "$u_mbps" "$u_cpu"
  printf '  filter CPU cost per GB   %9s   (per round: %s)\n' "$(cost_pct "$f_cpu" "$u_cpu")" \
    "$(ab_paired 4 cost | awk '{printf "%s%+.1f %%", (NR > 1 ? ", " : ""), $1}')"
  printf '  throughput filtered/unfiltered %s (per round: %s)\n' "$(ratio "$f_mbps" "$u_mbps")" \
    "$(ab_paired 3 ratio | awk '{printf "%s%.3f", (NR > 1 ? ", " : ""), $1}')"
fi
