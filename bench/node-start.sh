#!/usr/bin/env bash
# Start time to "LimiQuantix node ready in X s" and idle RSS of the exported node (run/target/node.jar),
# as started by run/node (tuned) against a plain `java -jar` with a fresh bundle cache (baseline), alternating
# the two in the same run so that both see the same machine load. Prints each run, the medians and the ratios.
#   bench/node-start.sh [runs per variant, default 3] [jar, default run/target/node.jar]
# Each start gets its own data dir, etc/ (empty: the embedded default, test:///default plus qemu:///system
# when a libvirtd answers), ports (LQ_BENCH_PORT, default 19460, JSON +1); RSS is read after LQ_BENCH_IDLE
# (default 10) s of idling. The tuned variant keeps its bundle cache and KVM verdict across its runs (its
# first run fills them, as the first start of a node does), exactly as run/node does; so is its class data
# sharing archive (written when the first tuned run stops; LQ_CDS=0 leaves it out). "CPU" is the user+system
# time the JVM used until ready (load-independent, unlike the wall time). LQ_BENCH_NICE=-10 runs the nodes
# at that priority, to approximate an idle host on a machine other work keeps busy. LQ_BENCH_BASE_JAR
# runs the baseline from another jar (e.g. one exported before a change), so code changes count too.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(dirname "$HERE")
RUNS=${1:-3}
JAR=${2:-$TOP/run/target/node.jar}
BASE_JAR=${LQ_BENCH_BASE_JAR:-$JAR}
PORT=${LQ_BENCH_PORT:-19460}
IDLE=${LQ_BENCH_IDLE:-10}
# Keep in step with run/node.
TUNED_OPTS=${LQ_JAVA_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -Xms16m -Xmx256m -XX:MaxMetaspaceSize=160m -XX:ReservedCodeCacheSize=48m}
WORK=$(mktemp -d /tmp/lq-bench-start.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# one_run <variant> <n>: prints "<ready seconds> <rss MB>"
one_run() {
  local variant=$1 n=$2 home opts=() log pid ready rss_kb cpu jar=$JAR
  if [ "$variant" = tuned ]; then
    home=$WORK/tuned   # kept across runs: data (KVM verdict, ledger) and bundle cache
    read -r -a opts <<< "$TUNED_OPTS"
    opts+=(-Dlaunch.keep=true -Dlaunch.storage.dir="$home/felix-cache" -Dorg.osgi.framework.storage.clean=none)
    # As run/node: the first tuned run writes the class data sharing archive when it stops, later ones map it.
    if [ "${LQ_CDS:-1}" != 0 ]; then
      if [ -f "$home/node.jsa" ]; then opts+=(-XX:SharedArchiveFile="$home/node.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off)
      else opts+=(-XX:ArchiveClassesAtExit="$home/node.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off); fi
    fi
  else
    home=$WORK/baseline-$n   # fresh each time, as `java -jar` with the .bndrun's defaults
    jar=$BASE_JAR
  fi
  mkdir -p "$home/etc" "$home/deploy" "$home/data"
  log=$WORK/$variant-$n.log
  (cd "$home" && exec ${LQ_BENCH_NICE:+nice -n "$LQ_BENCH_NICE"} java "${opts[@]}" -Dlimiquantix.home="$home" -Dlimiquantix.data="$home/data" \
     -Dfelix.fileinstall.dir="$home/etc" -Dfelix.fileinstall.filter='.*\.(cfg|config)' \
     -Dlimiquantix.rpc.port=$PORT -Dorg.osgi.service.http.port=$((PORT+1)) \
     -Dgosh.args=--nointeractive -jar "$jar" </dev/null >"$log" 2>&1) &
  pid=$!
  for _ in $(seq 1 900); do grep -q "LimiQuantix node ready in" "$log" && break; kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  ready=$(grep -o "ready in [0-9.]* s" "$log" | head -1 | awk '{print $3}')
  # CPU seconds the JVM used until ready: unlike the wall time, barely affected by other load on the host.
  cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' /proc/$pid/stat 2>/dev/null || echo 0)
  sleep "$IDLE"
  rss_kb=$(awk '/^VmRSS/ {print $2}' /proc/$pid/status 2>/dev/null || echo 0)
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [ -n "${LQ_BENCH_KEEPLOG:-}" ] && cp "$log" "$LQ_BENCH_KEEPLOG-$variant-$n.log"
  echo "${ready:-999} $((rss_kb / 1024)) $cpu"
}

med() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A R M C
for v in baseline tuned; do R[$v]="" M[$v]="" C[$v]=""; done
echo "baseline: $BASE_JAR (plain java -jar); tuned: $JAR (run/node's options)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
for n in $(seq 1 "$RUNS"); do
  for v in baseline tuned; do
    read -r ready rss cpu < <(one_run "$v" "$n")
    echo "run $n $v: ready $ready s (CPU $cpu s), idle RSS $rss MB"
    R[$v]="${R[$v]} $ready" M[$v]="${M[$v]} $rss" C[$v]="${C[$v]} $cpu"
  done
done
# shellcheck disable=SC2086
rb=$(med ${R[baseline]}) rt=$(med ${R[tuned]}) mb=$(med ${M[baseline]}) mt=$(med ${M[tuned]})
cb=$(med ${C[baseline]}) ct=$(med ${C[tuned]})
echo "median baseline: ready $rb s (CPU $cb s), idle RSS $mb MB"
echo "median tuned:    ready $rt s (CPU $ct s) (target <= 1.5), idle RSS $mt MB (target <= 120)"
awk -v a="$rt" -v b="$rb" -v c="$mt" -v d="$mb" 'BEGIN {printf "ratio tuned/baseline: ready %.2f, RSS %.2f\n", a/b, c/d}'
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
