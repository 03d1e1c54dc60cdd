package io.limiquantix.node.libvirt.internal.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Memory;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.NicSpec;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.VmStats;
import io.limiquantix.node.api.VmStatus;
import io.limiquantix.node.api.storage.DiskSource;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The bulk statistics sweep on libvirt's test driver, and the parsing of typed parameters. */
class BulkStatsTest {
    private static LibvirtHypervisor hv;

    @BeforeAll
    static void connect() {
        hv = LibvirtTestSupport.connected("stats-test", "test:///default", AccelDecision.Requested.AUTO);
    }

    @AfterAll
    static void close() {
        if (hv != null) hv.close();
    }

    @Test
    void sweepReportsEveryDomainWithItsCounters() {
        String id = UUID.randomUUID().toString();
        String name = "stats-" + id.substring(0, 8);
        VmSpec spec = VmSpec.builder(name).id(id).vcpus(2).memoryMiB(256)
            .fileDisk("root", "/var/lib/images/" + id + ".qcow2", DiskSource.Format.QCOW2)
            .nic(NicSpec.network("default")).build();
        hv.createVm(spec);
        try {
            hv.startVm(id);
            List<VmStats> all = hv.stats();
            List<VmStatus> listed = hv.listVms();
            assertEquals(listed.size(), all.size(), "one record per domain: " + all);
            for (VmStatus s : listed) {
                VmStats st = all.stream().filter(x -> x.id().equals(s.id())).findFirst().orElseThrow(() -> new AssertionError("no stats for " + s));
                assertEquals(s.name(), st.name());
                assertEquals(s.state(), st.state(), s.name());
            }
            // libvirt 9's test driver fills only the state group (virsh domstats shows the same); the counters
            // are checked against a real guest in RealQemuStatsTest.
            VmStats mine = all.stream().filter(x -> x.id().equals(id)).findFirst().orElseThrow();
            assertEquals(VmState.RUNNING, mine.state());
            assertEquals(name, mine.name());
            hv.forceStopVm(id);
            VmStats stopped = hv.stats().stream().filter(x -> x.id().equals(id)).findFirst().orElseThrow();
            assertEquals(VmState.STOPPED, stopped.state());
            assertEquals(0, stopped.cpuTimeNanos());
        } finally {
            try {
                hv.forceStopVm(id);
            } catch (RuntimeException ignored) {
                // not running
            }
            hv.deleteVm(id);
        }
    }

    @Test
    void theListingAgreesWithEachDomainsOwnStatus() {
        List<String> ids = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                String id = UUID.randomUUID().toString();
                hv.createVm(VmSpec.builder("list-" + id.substring(0, 8)).id(id).vcpus(1 + i).memoryMiB(128).build());
                ids.add(id);
            }
            hv.startVm(ids.get(1));
            hv.startVm(ids.get(2));
            hv.pauseVm(ids.get(2));
            List<VmStatus> listed = hv.listVms();
            for (String id : ids) {
                VmStatus one = hv.status(id);
                VmStatus l = listed.stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow(() -> new AssertionError("not listed: " + id));
                assertEquals(one.name(), l.name());
                assertEquals(one.state(), l.state(), l.name());
            }
            assertEquals(List.of(VmState.STOPPED, VmState.RUNNING, VmState.PAUSED),
                ids.stream().map(id -> listed.stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow().state()).toList());
            assertEquals(listed.size(), listed.stream().map(VmStatus::id).distinct().count(), "each domain once");
        } finally {
            for (String id : ids) LibvirtTestSupport.removeQuietly(hv, id);
        }
    }

    @Test
    void aRecordBecomesAStatus() {
        String id = "0f8fad5b-d9cb-469f-a165-70867728950e";
        VmStatus running = BulkStats.toVmStatus(new BulkStats.Record(id, "r", java.util.Map.of("state.state", 1, "vcpu.current", 2L,
            "balloon.maximum", 262144L, "cpu.time", 5_000L)));
        assertEquals(new VmStatus(id, "r", VmState.RUNNING, "", 2, 256, 5_000), running);
        VmStatus shutoff = BulkStats.toVmStatus(new BulkStats.Record(id, "s", java.util.Map.of("state.state", 5, "cpu.time", 7L)));
        assertEquals(new VmStatus(id, "s", VmState.STOPPED, "", 0, 0, 0), shutoff, "no CPU time for a stopped VM; absent figures are 0");
        assertEquals(VmState.UNKNOWN, BulkStats.toVmStatus(new BulkStats.Record(id, "u", java.util.Map.of())).state());
    }

    @Test
    void typedParametersOfEveryTypeAreRead() {
        Memory m = new Memory(7L * DomainStatsNative.PARAM_SIZE);
        m.clear();
        Memory text = new Memory(16);
        text.setString(0, "vnet0", "UTF-8");
        put(m, 0, "a.int", DomainStatsNative.PARAM_INT).setInt(DomainStatsNative.PARAM_VALUE_OFFSET, -5);
        put(m, 1, "a.uint", DomainStatsNative.PARAM_UINT).setInt(DomainStatsNative.PARAM_SIZE + DomainStatsNative.PARAM_VALUE_OFFSET, 0xFFFFFFFE);
        put(m, 2, "a.llong", DomainStatsNative.PARAM_LLONG).setLong(2L * DomainStatsNative.PARAM_SIZE + DomainStatsNative.PARAM_VALUE_OFFSET, -1L << 40);
        put(m, 3, "cpu.time", DomainStatsNative.PARAM_ULLONG).setLong(3L * DomainStatsNative.PARAM_SIZE + DomainStatsNative.PARAM_VALUE_OFFSET, 123_456_789_012L);
        put(m, 4, "a.double", DomainStatsNative.PARAM_DOUBLE).setDouble(4L * DomainStatsNative.PARAM_SIZE + DomainStatsNative.PARAM_VALUE_OFFSET, 0.25);
        put(m, 5, "a.bool", DomainStatsNative.PARAM_BOOLEAN).setByte(5L * DomainStatsNative.PARAM_SIZE + DomainStatsNative.PARAM_VALUE_OFFSET, (byte) 1);
        put(m, 6, "net.0.name", DomainStatsNative.PARAM_STRING).setPointer(6L * DomainStatsNative.PARAM_SIZE + DomainStatsNative.PARAM_VALUE_OFFSET, text);
        Map<String, Object> p = BulkStats.params(m, 7);
        assertEquals(-5, p.get("a.int"));
        assertEquals(0xFFFFFFFEL, p.get("a.uint"));
        assertEquals(-1L << 40, p.get("a.llong"));
        assertEquals(123_456_789_012L, p.get("cpu.time"));
        assertEquals(0.25, p.get("a.double"));
        assertEquals(Boolean.TRUE, p.get("a.bool"));
        assertEquals("vnet0", p.get("net.0.name"));
    }

    private static Memory put(Memory m, int i, String field, int type) {
        byte[] b = field.getBytes(StandardCharsets.US_ASCII);
        m.write((long) i * DomainStatsNative.PARAM_SIZE, b, 0, b.length);
        m.setInt((long) i * DomainStatsNative.PARAM_SIZE + DomainStatsNative.PARAM_TYPE_OFFSET, type);
        return m;
    }

    @Test
    void absentCountersStayAbsent() {
        Map<String, Object> p = new HashMap<>();
        p.put("state.state", 1);
        p.put("cpu.time", 42L);
        p.put("balloon.current", 1024L);
        p.put("block.count", 2L);
        p.put("block.0.name", "vda");
        p.put("block.0.rd.bytes", 10L);
        // block.1 has no name: skipped
        p.put("net.count", 1L);
        p.put("net.0.name", "vnet\"1");
        VmStats s = BulkStats.toVmStats(new BulkStats.Record("6695eb01-f6a4-8304-79aa-97f2502e193f", "n", p));
        assertEquals(VmState.RUNNING, s.state());
        assertEquals(42, s.cpuTimeNanos());
        assertEquals(VmStats.ABSENT, s.vcpus());
        assertEquals(new VmStats.Memory(1024, -1, -1, -1, -1), s.memory());
        assertEquals(List.of(new VmStats.Disk("vda", null, 10, -1, -1, -1)), s.disks());
        assertEquals("vnet\"1", s.nics().get(0).name());
        assertEquals(VmState.STOPPED, BulkStats.state(5));
        assertEquals(VmState.UNKNOWN, BulkStats.state(99));
        assertNull(BulkStats.toVmStats(new BulkStats.Record("x", "n", Map.of())).disks().isEmpty() ? null : "");
        assertFalse(s.nics().isEmpty());
        assertNotNull(s.memory());
    }
}
