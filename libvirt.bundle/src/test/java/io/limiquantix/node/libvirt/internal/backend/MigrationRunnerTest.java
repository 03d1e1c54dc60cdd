package io.limiquantix.node.libvirt.internal.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.MigrationOptions;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.libvirt.Domain.MigrateFlags;

/** The parts of a migration that need no hosts: flags, target checks, job statistics, storage XML. */
class MigrationRunnerTest {
    @Test
    void flagsFollowTheOptions() {
        long live = MigrationRunner.flags(MigrationOptions.liveDefaults(), true);
        for (int f : new int[] {MigrateFlags.LIVE, MigrateFlags.PEER2PEER, MigrateFlags.PERSIST_DEST, MigrateFlags.UNDEFINE_SOURCE,
            MigrateFlags.ABORT_ON_ERROR}) assertTrue((live & f) != 0, "flag " + f);
        assertEquals(0, live & (MigrateFlags.AUTO_CONVERGE | MigrateFlags.POSTCOPY | MigrateFlags.TLS | MigrateFlags.NON_SHARED_DISK
            | MigrateFlags.OFFLINE));
        MigrationOptions all = new MigrationOptions(true, false, Duration.ofMillis(100), 10, true, true, true, true, null, null);
        long f = MigrationRunner.flags(all, true);
        assertEquals(0, f & MigrateFlags.PEER2PEER);
        for (int x : new int[] {MigrateFlags.AUTO_CONVERGE, MigrateFlags.POSTCOPY, MigrateFlags.TLS, MigrateFlags.NON_SHARED_DISK})
            assertTrue((f & x) != 0, "flag " + x);
        long offline = MigrationRunner.flags(new MigrationOptions(false, true, null, 0, true, false, false, false, null, null), false);
        assertTrue((offline & MigrateFlags.OFFLINE) != 0);
        assertEquals(0, offline & (MigrateFlags.LIVE | MigrateFlags.AUTO_CONVERGE));
    }

    @Test
    void targetsAreCheckedBeforeAnythingHappens() {
        for (String bad : new String[] {null, " ", "B", "qemu:///system", "http://host/", "qemu+tcp:///system", "qemu+tcp://no-such-host.invalid/system"}) {
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> MigrationRunner.checkTarget(bad), bad);
            assertEquals("targetUri", e.field());
        }
        assertEquals("10.77.0.2", MigrationRunner.checkTarget("qemu+tcp://10.77.0.2/system").getHost());
        assertEquals("127.0.0.1", MigrationRunner.checkTarget("qemu+ssh://127.0.0.1/system").getHost());
    }

    @Test
    void tlsFailuresAreRecognisedByLibvirtsAndQemusWords() {
        // the words seen on the two-host harness (TwoHostMigrationTest.tlsToAnUntrustedOrUncertifiedHostFails...)
        assertTrue(MigrationRunner.isTlsFailure("operation failed: job 'migration out' failed: The certificate hasn't got a known issuer"));
        assertTrue(MigrationRunner.isTlsFailure("internal error: unable to execute QEMU command 'object-add': Unable to access"
            + " credentials /etc/pki/qemu/ca-cert.pem: No such file or directory"));
        assertTrue(MigrationRunner.isTlsFailure("TLS handshake failed: Error in the pull function."));
        assertFalse(MigrationRunner.isTlsFailure("operation failed: job 'migration out' failed: Unable to write to socket: Connection reset by peer"));
        assertFalse(MigrationRunner.isTlsFailure(null));
    }

    @Test
    void hostUuidComesFromTheCapabilities() {
        assertEquals("7e57a000-0000-4000-8000-00000000000a", MigrationRunner.hostUuid(
            "<capabilities>\n  <host>\n    <uuid>7e57a000-0000-4000-8000-00000000000a</uuid>\n    <cpu/></host></capabilities>"));
        assertNull(MigrationRunner.hostUuid("<capabilities/>"));
    }

    @Test
    void jobStatisticsBecomeProgress() {
        MigrationJob j = new MigrationJob(MigrationJob.UNBOUNDED, Map.of("data_total", "1000", "data_processed", "700",
            "data_remaining", "250", "memory_iteration", "3", "memory_dirty_rate", "120", "memory_page_size", "4096",
            "auto_converge_throttle", "20", "memory_processed", "700"));
        var p = j.progress("qemu+tcp://b/system", false);
        assertEquals("copying-dirty-memory", p.phase());
        assertEquals(0.75, p.fraction(), 1e-9);
        assertEquals(1000, p.totalBytes());
        assertEquals(3, p.migration().iteration());
        assertEquals(120, p.migration().dirtyRatePagesPerSec());
        assertEquals(20, p.migration().throttlePercent());
        assertNull(p.migration().downtime());
        assertEquals(-1, p.migration().diskTotalBytes());
        MigrationJob storage = new MigrationJob(MigrationJob.UNBOUNDED, Map.of("disk_remaining", "5", "memory_iteration", "0"));
        assertEquals("copying-storage", storage.phase(false));
        MigrationJob done = new MigrationJob(MigrationJob.COMPLETED, Map.of("downtime", "212"));
        assertEquals(Duration.ofMillis(212), done.downtime());
    }

    @Test
    void targetDisksAreDescribedByAnXmlWriter() {
        String xml = MigrationTargetDisks.volumeXml(new MigrationTargetDisks.LocalDisk("vda", "/var/lib/libvirt/images/a<b>.qcow2",
            "qcow2", 67108864));
        assertTrue(xml.contains("<name>a&lt;b&gt;.qcow2</name>"), xml);
        assertTrue(xml.contains("<capacity unit=\"bytes\">67108864</capacity>"), xml);
        assertTrue(xml.contains("<format type=\"qcow2\""), xml);
        assertTrue(MigrationTargetDisks.poolXml("lq-migration-x", "/d").contains("<path>/d</path>"));
    }
}
