#!/usr/bin/env bash
# Create + snapshot + clone of a 10 GiB RBD image through RbdVolumeProvider vs the rbd CLI, same run, same
# cluster; prints the medians and the ratio. Uses the cluster in LQ_CEPH_DIR, or starts a throw-away one
# (run/lib/ceph-cluster.sh) like the tests do. usage: storage-ceph.bundle/bench/create-clone.sh [rounds]
set -euo pipefail
MODULE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$MODULE/.."
mvn -q -f storage-ceph.bundle/pom.xml test -Dtest=CreateCloneBench -Dsurefire.failIfNoSpecifiedTests=false \
  -Dlq.bench=1 -Dlq.bench.rounds="${1:-5}"
# surefire sends test output to a file (parent pom: redirectTestOutputToFile)
grep -h 'CLI/provider' "$MODULE/target/surefire-reports/io.limiquantix.node.ceph.internal.CreateCloneBench-output.txt"
