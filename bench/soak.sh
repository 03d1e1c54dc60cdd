#!/usr/bin/env bash
# The 30-minute soak of issue #10: the real node (run/target/node.jar) under mixed operations (test-driver VMs
# created/started/stopped/deleted, qemu:///system VMs defined/deleted, reads, unauthenticated calls) while the
# libvirt bundle is stopped and started every 20 s; heap after a full GC, threads, file descriptors and libvirtd
# connections sampled every 10 s. Prints the first and last samples and each metric's slope, and fails if one
# grows without bound (the bounds and their reasons: systest/.../SoakTest.java, TOLERANCE).
#   bench/soak.sh            30 minutes
#   bench/soak.sh 60         60 minutes (any number of minutes; ./run/test runs the same test for 2 minutes)
# Needs what ./run/test provides: a libvirtd on qemu:///system and the built node (mvn -o -q -pl run package).
set -euo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MINUTES=${1:-30}
[ -f "$TOP/run/target/node.jar" ] || (cd "$TOP" && mvn -B -o -q -pl run -am package -DskipTests)
cd "$TOP"
LQ_REQUIRE_REAL=1 mvn -B -o -q -pl systest test -Dtest=SoakTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dlq.soak.seconds=$((MINUTES * 60)) -Dlq.soak.sample.seconds=10 \
  -Djunit.jupiter.execution.timeout.default=$((MINUTES + 15))m || status=$?
REPORT=$TOP/systest/target/surefire-reports/io.limiquantix.node.systest.SoakTest-output.txt
grep -E '^(soak:|first sample|last sample|  (heapMiB|threads|fds|libvirtConns))' "$REPORT" || true
exit ${status:-0}
