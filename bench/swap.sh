#!/usr/bin/env bash
# How long calls are parked while the libvirt bundle is swapped under load: runs itest's SwapUnderLoadIT
# (50 NodeService clients, the libvirt bundle updated to a rebuilt jar and uninstalled/reinstalled 20 times
# each, a real TCG guest ticking on qemu:///system) and prints its figures:
#   SWAP-BENCH parked-ms p50/p99/max   calls for the swapped backend's VMs issued while it was away or
#                                      arriving (target: max and p99 <= 250 ms), and per kind of call
#   SWAP-BENCH absence-ms              from update/uninstall until the new service answers healthy
#   SWAP-PHASE ...                     each swap: stop+start, registered, healthy, libvirt connections
# Needs what ./run/test provides (a libvirtd on qemu:///system, the guest payload); the modules must be
# installed (mvn -o -q install -DskipTests). Extra arguments go to Maven (e.g. -Dlq.swaps=5).
set -euo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOG=$(mktemp /tmp/lq-bench-swap.XXXXXX.log)
rm -f "$TOP/itest/target/work/swap-bench.txt"
export LQ_REQUIRE_REAL=1
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
status=0
(cd "$TOP" && mvn -B -o -pl itest verify -Dtest=SwapUnderLoadIT -Dsurefire.failIfNoSpecifiedTests=false "$@") >"$LOG" 2>&1 || status=$?
cat "$TOP/itest/target/work/swap-bench.txt" 2>/dev/null || true
grep -E "Tests run:.*SwapUnderLoadIT|AssertionError" "$LOG" | head -5 || true
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg); Maven log: $LOG"
exit $status
