package io.limiquantix.node.libvirt.internal.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.VmStats;
import io.limiquantix.node.api.storage.DiskSource;
import io.limiquantix.node.libvirt.internal.domain.XmlDoc;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainInfo;
import org.libvirt.LibvirtException;

/**
 * Statistics sweep, bulk ({@link LibvirtHypervisor#stats()}: one virConnectGetAllDomainStats call, records
 * mapped to VmStats) against one call per domain and device (libvirt-java's getInfo, blockStats per disk,
 * interfaceStats per interface, device names read from the XML beforehand and not timed), in the same run:
 * <ol>
 * <li>{@code lq.bench.domains} (default 1,000) running domains on {@code test:///default} (in process), then the
 * same on {@code test+unix:///default}: libvirt's test driver inside libvirtd, reached over its UNIX socket as
 * {@code qemu:///system} is (skipped with a message when no libvirtd answers; {@code lq.bench.remote=false} skips it);</li>
 * <li>{@code lq.bench.guests} (default 2) real TCG guests on {@code qemu:///system} with a disk each (every
 * domain there is swept, so other domains present are included and counted).</li>
 * </ol>
 * Not a test: run it with {@code bench/stats/run}. Prints medians and the ratio; target bulk >= 10x faster and
 * <= 20 ms for 1,000 domains.
 */
@EnabledIfSystemProperty(named = "lq.bench", matches = "1")
class StatsSweepBench {
    private static final int DOMAINS = Integer.getInteger("lq.bench.domains", 1000);
    private static final int GUESTS = Integer.getInteger("lq.bench.guests", 2);
    private static final int ROUNDS = Integer.getInteger("lq.bench.rounds", 15);
    /** Warm-up sweeps (the JIT compiles the bulk path meanwhile). */
    private static final int WARMUP = Integer.getInteger("lq.bench.warmup", 30);
    private static final Path PAYLOAD = Path.of("/var/lib/limiquantix/test-guest");

    /** A domain with the device names the per-domain collector needs. */
    record Target(Domain domain, List<String> disks, List<String> nics) {
    }

    @Test
    void bulkVersusPerDomain() throws Exception {
        LibvirtTestSupport.startLoop();
        System.out.printf(Locale.ROOT, "%nstats sweep benchmark: %d rounds after warm-up, medians%n", ROUNDS);
        testDriver("test:///default");
        if (Boolean.parseBoolean(System.getProperty("lq.bench.remote", "true"))) {
            String why = DaemonProbe.answers("test+unix:///default", 10);
            if (why == null) testDriver("test+unix:///default");
            else System.out.println("test+unix:///default: skipped, libvirtd does not answer: " + why);
        }
        realGuests();
    }

    private void testDriver(String uri) throws Exception {
        LibvirtHypervisor hv = LibvirtTestSupport.connected("bench-test", uri, AccelDecision.Requested.AUTO);
        Connect c = new Connect(uri);
        List<Domain> made = new ArrayList<>();
        // libvirtd's test driver is shared by every client and outlives this run: names of this run only
        String run = java.util.UUID.randomUUID().toString().substring(0, 8);
        try {
            long t0 = System.nanoTime();
            for (int i = 0; i < DOMAINS; i++) {
                String name = "bench-" + run + "-" + i;
                String xml = "<domain type='test'><name>" + name + "</name><memory unit='KiB'>131072</memory><vcpu>1</vcpu>"
                    + "<os><type arch='x86_64'>hvm</type></os><devices>"
                    + "<disk type='file' device='disk'><source file='/bench/" + name + ".img'/><target dev='vda' bus='virtio'/></disk>"
                    + "<interface type='network'><source network='default'/><target dev='bnet" + i + "'/></interface>"
                    + "</devices></domain>";
                Domain d = c.domainDefineXML(xml);
                d.create();
                made.add(d);
            }
            System.out.printf(Locale.ROOT, "%s: %d domains defined and started in %.1f s%n", uri, DOMAINS, (System.nanoTime() - t0) / 1e9);
            compare(uri, c, hv, DOMAINS);
        } finally {
            for (Domain d : made) {
                try {
                    d.destroy();
                    d.undefine();
                } catch (LibvirtException ignored) {
                    // gone
                }
            }
            c.close();
            hv.close();
        }
    }

    private void realGuests() throws Exception {
        String why = DaemonProbe.answers("qemu:///system", 10);
        LibvirtTestSupport.requireOrSkip(why == null, "libvirtd does not answer on qemu:///system: " + why);
        LibvirtTestSupport.requireOrSkip(Files.isReadable(PAYLOAD.resolve("vmlinuz")), "guest payload missing at " + PAYLOAD);
        LibvirtHypervisor hv = LibvirtTestSupport.connected("bench-qemu", "qemu:///system", AccelDecision.Requested.AUTO);
        Connect c = new Connect("qemu:///system");
        List<String> ids = new ArrayList<>();
        List<Path> disks = new ArrayList<>();
        try {
            for (int i = 0; i < GUESTS; i++) {
                String id = UUID.randomUUID().toString();
                String name = "lq-bench-" + id.substring(0, 8);
                Path disk = Path.of("/var/lib/libvirt/images", name + ".raw");
                try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
                    f.setLength(8L << 20);
                }
                disks.add(disk);
                hv.createVm(VmSpec.builder(name).id(id).vcpus(1).memoryMiB(128)
                    .kernelBoot(PAYLOAD.resolve("vmlinuz").toString(), PAYLOAD.resolve("initramfs.gz").toString(), "console=ttyS0 panic=-1")
                    .fileDisk("data", disk.toString(), DiskSource.Format.RAW).serialConsole(true).build());
                ids.add(id);
                hv.startVm(id);
            }
            // other test runs' domains may come and go meanwhile: only this run's guests must be in every sweep
            compare("qemu:///system", c, hv, ids.size());
            for (String id : ids) {
                VmStats s = hv.stats().stream().filter(x -> x.id().equals(id)).findFirst().orElseThrow();
                assertEquals(VmState.RUNNING, s.state());
                assertTrue(s.cpuTimeNanos() > 0, s.toString());
            }
        } finally {
            for (String id : ids) {
                LibvirtTestSupport.removeQuietly(hv, id);
            }
            for (Path p : disks) Files.deleteIfExists(p);
            c.close();
            hv.close();
        }
    }

    private static void compare(String where, Connect c, LibvirtHypervisor hv, int expected) throws Exception {
        List<Target> targets = new ArrayList<>();
        for (Domain d : c.listAllDomains(0)) {
            String xml;
            try {
                xml = d.getXMLDesc(0);
            } catch (LibvirtException e) {
                continue; // someone else's domain, gone since the listing (other test runs share qemu:///system)
            }
            XmlDoc x = XmlDoc.parse(xml);
            targets.add(new Target(d, names(x, "/domain/devices/disk/target/@dev"), names(x, "/domain/devices/interface/target/@dev")));
        }
        for (int i = 0; i < WARMUP; i++) {
            bulk(hv);
            BulkStats.read(c, BulkStats.STATS, DomainStatsNative.FLAG_NOWAIT);
            rawNative(c);
            if (i < 3) perDomain(targets);
        }
        long[] bulk = new long[ROUNDS];
        long[] raw = new long[ROUNDS];
        long[] records = new long[ROUNDS];
        long[] walk = new long[ROUNDS];
        long[] ids = new long[ROUNDS];
        long[] per = new long[ROUNDS];
        int seen = 0;
        long calls = 0;
        for (int r = 0; r < ROUNDS; r++) {
            // interleaved, so that both see the same machine load
            long t0 = System.nanoTime();
            seen = bulk(hv);
            bulk[r] = System.nanoTime() - t0;
            t0 = System.nanoTime();
            rawNative(c);
            raw[r] = System.nanoTime() - t0;
            t0 = System.nanoTime();
            BulkStats.read(c, BulkStats.STATS, DomainStatsNative.FLAG_NOWAIT);
            records[r] = System.nanoTime() - t0;
            t0 = System.nanoTime();
            walk(c, false);
            walk[r] = System.nanoTime() - t0;
            t0 = System.nanoTime();
            walk(c, true);
            ids[r] = System.nanoTime() - t0;
            t0 = System.nanoTime();
            calls = perDomain(targets);
            per[r] = System.nanoTime() - t0;
        }
        assertTrue(seen >= expected, "bulk saw " + seen + " domains, expected at least " + expected);
        StringBuilder groups = new StringBuilder();
        String[] names = {"state", "cpu-total", "balloon", "vcpu", "interface", "block"};
        int[] bits = {DomainStatsNative.STATS_STATE, DomainStatsNative.STATS_CPU_TOTAL, DomainStatsNative.STATS_BALLOON,
            DomainStatsNative.STATS_VCPU, DomainStatsNative.STATS_INTERFACE, DomainStatsNative.STATS_BLOCK};
        for (int g = 0; g < bits.length; g++) {
            long[] t = new long[5];
            for (int r = 0; r < t.length; r++) {
                long t0 = System.nanoTime();
                rawNative(c, bits[g]);
                t[r] = System.nanoTime() - t0;
            }
            groups.append(String.format(Locale.ROOT, " %s %.2f", names[g], median(t) / 1e6));
        }
        double b = median(bulk) / 1e6;
        double p = median(per) / 1e6;
        System.out.printf(Locale.ROOT, "%-16s %5d domains | bulk (1 call) %9.2f ms (libvirt's call and free alone %.2f ms, records read %.2f ms) | per domain (%d calls) %9.2f ms | ratio %6.1fx%n",
            where, seen, b, median(raw) / 1e6, median(records) / 1e6, calls, p, p / b);
        System.out.printf(Locale.ROOT, "%-16s libvirt's call for one group alone (ms):%s%n", where, groups);
        System.out.printf(Locale.ROOT, "%-16s call + record walk with typed parameters %.2f ms, + name and UUID of each %.2f ms%n",
            where, median(walk) / 1e6, median(ids) / 1e6);
    }

    /** The native call and the free only, nothing read: what libvirt itself costs. */
    private static void rawNative(Connect c) throws LibvirtException {
        rawNative(c, BulkStats.STATS);
    }

    private static void rawNative(Connect c, int groups) throws LibvirtException {
        DomainStatsNative.bind();
        com.sun.jna.ptr.PointerByReference ret = new com.sun.jna.ptr.PointerByReference();
        int n = DomainStatsNative.Direct.virConnectGetAllDomainStats(DomainStatsNative.pointer(c), groups, ret,
            DomainStatsNative.FLAG_NOWAIT);
        if (n < 0) DomainStatsNative.throwLastError();
        if (ret.getValue() != null) DomainStatsNative.Direct.virDomainStatsRecordListFree(ret.getValue());
    }

    /** The call, then every record's parameters read (and, with {@code ids}, its domain's name and UUID). */
    private static int walk(Connect c, boolean ids) throws LibvirtException {
        com.sun.jna.ptr.PointerByReference ret = new com.sun.jna.ptr.PointerByReference();
        int n = DomainStatsNative.Direct.virConnectGetAllDomainStats(DomainStatsNative.pointer(c), BulkStats.STATS, ret,
            DomainStatsNative.FLAG_NOWAIT);
        if (n < 0) DomainStatsNative.throwLastError();
        int seen = 0;
        byte[] uuid = new byte[16];
        try {
            for (com.sun.jna.Pointer rec : ret.getValue().getPointerArray(0, n)) {
                seen += BulkStats.params(rec.getPointer(DomainStatsNative.RECORD_PARAMS_OFFSET), rec.getInt(DomainStatsNative.RECORD_NPARAMS_OFFSET)).size();
                if (ids) {
                    com.sun.jna.Pointer dom = rec.getPointer(0);
                    seen += DomainStatsNative.Direct.virDomainGetName(dom).getString(0).length();
                    seen += DomainStatsNative.Direct.virDomainGetUUID(dom, uuid);
                }
            }
        } finally {
            DomainStatsNative.Direct.virDomainStatsRecordListFree(ret.getValue());
        }
        return seen;
    }

    private static int bulk(LibvirtHypervisor hv) {
        return hv.stats().size();
    }

    /** What a collector without the bulk call does: state and CPU, then each disk and interface. */
    private static long perDomain(List<Target> targets) {
        long calls = 0;
        long sink = 0;
        for (Target t : targets) {
            try {
                DomainInfo info = t.domain().getInfo();
                calls++;
                sink += info.cpuTime;
                if (info.state != DomainInfo.DomainState.VIR_DOMAIN_RUNNING) continue;
                for (String disk : t.disks()) {
                    sink += t.domain().blockStats(disk).rd_bytes;
                    calls++;
                }
                for (String nic : t.nics()) {
                    try {
                        sink += t.domain().interfaceStats(nic).rx_bytes;
                    } catch (LibvirtException e) {
                        // a NIC without host device: counted, as a collector would also have asked
                    }
                    calls++;
                }
            } catch (LibvirtException e) {
                // the domain went away meanwhile
            }
        }
        if (sink == Long.MIN_VALUE) System.out.print("");
        return calls;
    }

    private static List<String> names(XmlDoc x, String xpath) {
        List<String> out = new ArrayList<>();
        for (int i = 1; ; i++) {
            String v = x.string("(" + xpath + ")[" + i + "]");
            if (v.isEmpty()) return out;
            out.add(v);
        }
    }

    private static double median(long[] a) {
        long[] s = a.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
