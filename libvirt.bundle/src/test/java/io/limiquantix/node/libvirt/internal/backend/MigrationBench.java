package io.limiquantix.node.libvirt.internal.backend;

import io.limiquantix.node.api.MigrationOptions;
import io.limiquantix.node.api.MigrationResult;
import io.limiquantix.node.api.VmSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Migration figures between the two namespaced hosts (run by {@code bench/migration.sh} inside network
 * namespace pvA, not by Surefire): downtime and total time of an idle 128 MiB and 1 GiB guest, a busy guest
 * (lq.memcheck) with auto-converge off and on, and the integrity of the busy guest over N migrations.
 * Each case migrates A→B→A… {@code rounds} times; the medians are printed with the ratio to the idle 128 MiB
 * case measured in the same run (the baseline), so numbers from different machines compare by ratio.
 */
public final class MigrationBench {
    static final String A = TwoHostMigrationTest.URI_A, B = TwoHostMigrationTest.URI_B;
    static final Path PAYLOAD = Path.of("/var/lib/limiquantix/test-guest");

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int integrityRounds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        Path base = TwoHostMigrationTest.hostsDir();
        LibvirtHypervisor a = LibvirtTestSupport.connected("pvA", A, AccelDecision.Requested.TCG);
        LibvirtHypervisor b = LibvirtTestSupport.connected("pvB", B, AccelDecision.Requested.TCG);
        try {
            MigrationOptions plain = new MigrationOptions(true, true, null, 0, false, false, false, false, Duration.ofSeconds(60),
                MigrationOptions.TimeoutPolicy.ABORT);
            MigrationOptions converge = new MigrationOptions(true, true, null, 0, true, false, false, false, Duration.ofSeconds(60),
                MigrationOptions.TimeoutPolicy.ABORT);
            boolean onlyIntegrity = args.length > 2 && args[2].equals("integrity-only");
            double base128 = -1;
            List<String> lines = new ArrayList<>();
            if (!onlyIntegrity) for (Object[] c : new Object[][] {
                {"idle 128 MiB", 128, "", plain}, {"idle 1 GiB", 1024, "", plain},
                {"busy 160 MiB, auto-converge off", 160, " lq.memcheck=2", plain},
                {"busy 160 MiB, auto-converge on", 160, " lq.memcheck=2", converge}}) {
                Stats s = run(a, b, base, (String) c[0], (Integer) c[1], (String) c[2], (MigrationOptions) c[3], rounds, false);
                if (base128 < 0) base128 = s.medianTotal;
                lines.add(String.format("%-34s downtime median %5d ms (min %4d, max %4d)   total median %6.0f ms   ratio to idle 128 MiB %.2f   failures %d",
                    c[0], s.medianDowntime, s.minDowntime, s.maxDowntime, s.medianTotal, s.medianTotal / base128, s.failures));
                System.out.println("RESULT " + lines.get(lines.size() - 1));
            }
            // LQ_BENCH_LIVE=false: the integrity case migrates with live=false (the guest is paused for the copy)
            boolean live = !"false".equals(System.getenv("LQ_BENCH_LIVE"));
            MigrationOptions integrityOptions = live ? converge : new MigrationOptions(false, true, null, 0, false, false, false, false,
                Duration.ofSeconds(60), MigrationOptions.TimeoutPolicy.ABORT);
            Stats integrity = run(a, b, base, "integrity (busy, " + (live ? "live, auto-converge" : "non-live") + ")", 160,
                " lq.memcheck=2", integrityOptions, integrityRounds, true);
            lines.add(String.format("integrity: %d migrations of a busy guest, %d corrupted/oops, %d failed migrations",
                integrityRounds, integrity.corrupted, integrity.failures));
            System.out.println("\n=== migration bench (TCG, two namespaced hosts on one machine) ===");
            lines.forEach(System.out::println);
        } finally {
            a.close();
            b.close();
        }
    }

    static final class Stats {
        long medianDowntime = -1, minDowntime = -1, maxDowntime = -1;
        double medianTotal = -1;
        int failures, corrupted;
    }

    static Stats run(LibvirtHypervisor a, LibvirtHypervisor b, Path base, String label, int mib, String cmdline,
                     MigrationOptions o, int rounds, boolean checkIntegrity) throws Exception {
        String id = UUID.randomUUID().toString();
        String name = "lq-bench-" + id.substring(0, 8);
        VmSpec spec = VmSpec.builder(name).id(id).vcpus(1).memoryMiB(mib)
            .kernelBoot(PAYLOAD.resolve("vmlinuz").toString(), PAYLOAD.resolve("initramfs.gz").toString(),
                "console=ttyS0 panic=-1" + cmdline)
            .serialConsole(true).build();
        List<Long> downtimes = new ArrayList<>();
        List<Long> totals = new ArrayList<>();
        Stats s = new Stats();
        a.createVm(spec);
        a.startVm(id);
        LibvirtHypervisor at = a;
        String host = "A";
        try {
            waitFor(base.resolve("hostA/log/qemu/" + name + "-serial.log"), cmdline.isEmpty() ? "TICK 3 " : "MEMCHECK round 1 ");
            for (int i = 0; i < rounds; i++) {
                LibvirtHypervisor to = at == a ? b : a;
                String toHost = host.equals("A") ? "B" : "A";
                try {
                    MigrationResult r = at.migrate(id, at == a ? B : A, o, null);
                    totals.add(r.total().toMillis());
                    if (r.downtime() != null) downtimes.add(r.downtime().toMillis());
                    System.out.printf("%s: %s->%s total %d ms downtime %s ms%n", label, host, toHost, r.total().toMillis(),
                        r.downtime() == null ? "?" : r.downtime().toMillis());
                    at = to;
                    host = toHost;
                } catch (RuntimeException e) {
                    s.failures++;
                    System.out.println(label + ": migration failed: " + e.getMessage());
                }
                if (checkIntegrity) {
                    Path log = base.resolve("host" + host + "/log/qemu/" + name + "-serial.log");
                    boolean stalled = false;
                    try {
                        // the destination's log starts empty: first the round the guest is at, then two more
                        waitFor(log, "MEMCHECK round ");
                        int r0 = lastRound(log);
                        waitFor(log, "MEMCHECK round " + (r0 + 2) + " ");
                    } catch (IllegalStateException e) {
                        stalled = true;
                    }
                    String text = Files.readString(log, StandardCharsets.ISO_8859_1);
                    boolean bad = stalled || text.contains("MEMCHECK-BAD") || text.contains("Oops") || text.contains("BUG:")
                        || text.contains("GUEST-UP");
                    System.out.println(label + ": after migration " + (i + 1) + " the guest on " + host + " is "
                        + (stalled ? "STALLED (no check round for 180 s; last TICK " + lastTick(text) + ")" : bad ? "CORRUPTED" : "intact"));
                    if (bad) {
                        s.corrupted++;
                        Path keep = Path.of("/tmp", name + "-after-" + (i + 1) + "-serial.log");
                        Files.writeString(keep, text, StandardCharsets.ISO_8859_1);
                        System.out.println(label + ": its serial log is kept in " + keep + "; the case stops here");
                        break;
                    }
                }
            }
        } finally {
            try {
                at.forceStopVm(id);
            } catch (RuntimeException ignored) {
                // not running
            }
            at.deleteVm(id);
        }
        downtimes.sort(null);
        totals.sort(null);
        if (!downtimes.isEmpty()) {
            s.medianDowntime = downtimes.get(downtimes.size() / 2);
            s.minDowntime = downtimes.get(0);
            s.maxDowntime = downtimes.get(downtimes.size() - 1);
        }
        if (!totals.isEmpty()) s.medianTotal = totals.get(totals.size() / 2);
        return s;
    }

    static int lastTick(String text) {
        var m = java.util.regex.Pattern.compile("^TICK (\\d+) ", java.util.regex.Pattern.MULTILINE).matcher(text);
        int last = -1;
        while (m.find()) last = Integer.parseInt(m.group(1));
        return last;
    }

    static int lastRound(Path log) throws IOException {
        var m = java.util.regex.Pattern.compile("^MEMCHECK round (\\d+) ", java.util.regex.Pattern.MULTILINE)
            .matcher(Files.exists(log) ? Files.readString(log, StandardCharsets.ISO_8859_1) : "");
        int last = 0;
        while (m.find()) last = Integer.parseInt(m.group(1));
        return last;
    }

    static void waitFor(Path log, String needle) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log, StandardCharsets.ISO_8859_1).contains(needle)) return;
            Thread.sleep(200);
        }
        throw new IllegalStateException("no '" + needle + "' in " + log);
    }
}
