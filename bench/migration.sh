#!/usr/bin/env bash
# Live-migration figures between the two namespaced libvirt hosts (run/lib/two-hosts.sh): downtime and total
# time of idle 128 MiB and 1 GiB guests, a busy guest with auto-converge off and on (ratios to the idle
# 128 MiB case of the same run), then the integrity of a busy guest over N migrations.
#   bench/migration.sh [rounds per case, default 3] [integrity migrations, default 10] [integrity-only]
# Builds libvirt.bundle's test classes (offline), brings the hosts up (two-hosts.sh acquire/release: down
# again afterwards unless another run still uses them), runs io.limiquantix.node.libvirt.internal.backend.MigrationBench inside network namespace pvA.
# Needs root, libvirtd/QEMU and the guest payload (run/lib/guest-payload.sh). Takes ~5-10 minutes under TCG.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(dirname "$HERE")
ROUNDS=${1:-3}
INTEGRITY=${2:-10}
cd "$TOP"
mvn -B -o -q -pl libvirt.bundle test-compile
CP_FILE=$(mktemp)
trap 'rm -f "$CP_FILE"' EXIT
mvn -B -o -q -pl libvirt.bundle dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$CP_FILE" >/dev/null
CP=$TOP/libvirt.bundle/target/test-classes:$TOP/libvirt.bundle/target/classes:$(cat "$CP_FILE")
"$TOP/run/lib/two-hosts.sh" acquire $$
rc=0
ip netns exec pvA java -cp "$CP" io.limiquantix.node.libvirt.internal.backend.MigrationBench "$ROUNDS" "$INTEGRITY" ${3:-} || rc=$?
"$TOP/run/lib/two-hosts.sh" release $$
exit $rc
