package io.limiquantix.node.ceph.internal;

import static org.junit.jupiter.api.Assertions.*;

import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.api.ProgressListener;
import io.limiquantix.node.api.storage.DiskSource;
import io.limiquantix.node.api.storage.VolumeInfo;
import io.limiquantix.node.api.storage.VolumeProvider;
import io.limiquantix.node.api.storage.VolumeSpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every volume operation against a real one-node Ceph cluster, with data written and read back. */
class RbdVolumeProviderTest {
    private static final long MIB = 1L << 20;
    private static CapturedLog log;
    private static boolean ran;
    private RbdVolumeProvider provider;
    private String prefix;

    @BeforeAll
    static void captureLog() {
        log = CapturedLog.install();
    }

    @AfterAll
    static void keyNeverLogged() throws Exception {
        log.uninstall();
        if (!ran) return; // skipped: no cluster
        String key = adminKey();
        assertFalse(log.text().contains(key), "the cephx key appeared in the log");
        assertTrue(log.text().contains("connected to ceph cluster"), "the capture saw the provider's log: " + log.text());
    }

    @BeforeEach
    void connect() {
        RealCluster.dir();
        ran = true;
        provider = RealCluster.provider(Map.of());
        prefix = "t" + UUID.randomUUID().toString().substring(0, 8) + "-";
    }

    @AfterEach
    void close() {
        provider.close();
    }

    private VolumeInfo create(String name, long size) {
        return provider.create(new VolumeSpec(prefix + name, size, null, Map.of()), ProgressListener.NONE);
    }

    private void write(String volume, long offset, String text) {
        provider.withImage(volume, false, image -> {
            image.write(offset, text.getBytes(StandardCharsets.US_ASCII));
            return null;
        });
    }

    private String read(String volume, long offset, int length) {
        return provider.withImage(volume, true, image -> new String(image.read(offset, length), StandardCharsets.US_ASCII));
    }

    @Test
    void createWriteResizeListDelete() {
        VolumeInfo info = create("a", 64 * MIB);
        String a = prefix + "a";
        assertEquals(new VolumeInfo("rbd", a, 64 * MIB, -1, DiskSource.Format.RAW, null), info);
        assertEquals(RbdFeatures.DEFAULT, provider.withImage(a, true, RbdImage::features).longValue(),
            "layering, exclusive-lock, object-map, fast-diff and deep-flatten by default");
        write(a, 0, "head");
        write(a, 64 * MIB - 4, "tail");
        assertEquals("head", read(a, 0, 4));
        assertEquals("tail", read(a, 64 * MIB - 4, 4));
        assertTrue(provider.list().stream().anyMatch(v -> v.name().equals(a) && v.sizeBytes() == 64 * MIB));

        assertEquals(128 * MIB, provider.resize(a, 128 * MIB, false).sizeBytes());
        assertEquals("tail", read(a, 64 * MIB - 4, 4), "data survives growing");
        write(a, 128 * MIB - 3, "end");
        assertEquals("end", read(a, 128 * MIB - 3, 3));
        InvalidArgumentException refused = assertThrows(InvalidArgumentException.class, () -> provider.resize(a, 32 * MIB, false));
        assertEquals("newSizeBytes", refused.field());
        assertEquals(128 * MIB, provider.info(a).sizeBytes(), "a refused shrink changes nothing");
        assertEquals(32 * MIB, provider.resize(a, 32 * MIB, true).sizeBytes());
        assertEquals("head", read(a, 0, 4));

        assertThrows(ConflictException.class, () -> create("a", MIB), "the name is taken");
        provider.delete(a);
        assertThrows(NotFoundException.class, () -> provider.info(a));
        assertThrows(NotFoundException.class, () -> provider.delete(a));
        assertFalse(provider.list().stream().anyMatch(v -> v.name().equals(a)));
    }

    @Test
    void refusesWhatRbdCannotDo() {
        assertEquals("format", assertThrows(InvalidArgumentException.class,
            () -> provider.create(new VolumeSpec(prefix + "q", MIB, DiskSource.Format.QCOW2, Map.of()), ProgressListener.NONE)).field());
        assertEquals("options[features]", assertThrows(InvalidArgumentException.class,
            () -> provider.create(new VolumeSpec(prefix + "f", MIB, null, Map.of("features", "layering,warp-drive")), ProgressListener.NONE)).field());
        VolumeInfo plain = provider.create(new VolumeSpec(prefix + "l", MIB, null, Map.of("features", "layering")), ProgressListener.NONE);
        assertEquals(Rbd.FEATURE_LAYERING, provider.withImage(plain.name(), true, RbdImage::features).longValue());
        provider.delete(plain.name());
        assertEquals("volume", assertThrows(InvalidArgumentException.class, () -> provider.info("../etc")).field());
        assertEquals(Feature.RBD_DISK, provider.requiredFeature());
        assertEquals("rbd", provider.name());
    }

    @Test
    void snapshotCloneFlatten() {
        String base = create("base", 16 * MIB).name();
        write(base, 4096, "golden image");
        provider.createSnapshot(base, "s1");
        write(base, 4096, "changed  now");
        assertEquals(List.of("s1"), provider.listSnapshots(base));
        assertThrows(ConflictException.class, () -> provider.createSnapshot(base, "s1"));

        String clone = prefix + "clone";
        VolumeInfo c = provider.cloneFromSnapshot(base, "s1", clone);
        assertEquals("rbd/" + base + "@s1", c.parent());
        assertEquals(16 * MIB, c.sizeBytes());
        assertEquals("rbd/" + base + "@s1", provider.info(clone).parent());
        assertEquals("golden image", read(clone, 4096, 12), "the clone sees the snapshot, not the parent's later writes");
        write(clone, 0, "mine");
        assertEquals("mine", read(clone, 0, 4));
        assertEquals("chan", read(base, 4096, 4), "writing the clone leaves the parent alone");

        assertThrows(ConflictException.class, () -> provider.deleteSnapshot(base, "s1"), "a snapshot with clones stays");
        assertThrows(ConflictException.class, () -> provider.delete(base), "an image with snapshots stays");

        provider.resize(clone, 32 * MIB, false);
        assertEquals("golden image", read(clone, 4096, 12), "a grown clone still reads through to its parent");
        assertNull(provider.flatten(clone).parent());
        provider.deleteSnapshot(base, "s1");
        assertEquals(List.of(), provider.listSnapshots(base));
        provider.delete(base);
        assertThrows(NotFoundException.class, () -> provider.info(base));
        assertEquals("golden image", read(clone, 4096, 12), "after flatten the clone no longer needs its parent");
        assertEquals("mine", read(clone, 0, 4));
        provider.delete(clone);
    }

    @Test
    void failedCloneLeavesNothingBehind() {
        String base = create("p", 8 * MIB).name();
        String taken = create("taken", 8 * MIB).name();
        write(taken, 0, "keep");
        provider.createSnapshot(base, "s");

        assertThrows(NotFoundException.class, () -> provider.cloneFromSnapshot(base, "nosuch", prefix + "c1"));
        assertThrows(NotFoundException.class, () -> provider.info(prefix + "c1"));

        assertThrows(ConflictException.class, () -> provider.cloneFromSnapshot(base, "s", taken));
        assertEquals("keep", read(taken, 0, 4), "the image that had the name is untouched");
        assertNull(provider.info(taken).parent());
        assertFalse((boolean) provider.withImage(base, true, i -> i.isProtected("s")), "the protection added for the clone is taken back");
        provider.deleteSnapshot(base, "s");
        provider.delete(base);
        provider.delete(taken);
    }

    @Test
    void volumeInUseCannotBeDeleted() {
        String v = create("busy", 8 * MIB).name();
        // a read-write open registers a watch on the header, as QEMU's librbd does for a running VM
        RbdImage held = provider.cluster().call("holding " + v, s -> new RbdPool(CephLibraries.get().rbd, "ceph", "rbd", s).open(v));
        try {
            ConflictException e = assertThrows(ConflictException.class, () -> provider.delete(v));
            assertTrue(e.getMessage().contains("in use by 1 client"), e.getMessage());
            assertEquals(8 * MIB, provider.info(v).sizeBytes(), "still there");
        } finally {
            provider.cluster().call("closing " + v, s -> {
                held.close();
                return null;
            });
        }
        provider.delete(v);
        assertThrows(NotFoundException.class, () -> provider.info(v));
    }

    @Test
    void resolvesToNetworkSourceWithSecretByReference() throws Exception {
        String v = create("disk", MIB).name();
        DiskSource src = provider.resolve(v);
        assertEquals(DiskSource.Kind.NETWORK, src.kind());
        assertEquals("rbd", src.protocol());
        assertEquals("rbd/" + v, src.volume());
        assertEquals(List.of(RealCluster.monitors()), src.hosts());
        assertEquals("admin", src.authUser());
        String fsid = java.nio.file.Files.readString(RealCluster.dir().resolve("fsid")).trim();
        assertEquals(UUID.nameUUIDFromBytes(("limiquantix-ceph-secret:" + fsid + ":client.admin").getBytes(StandardCharsets.UTF_8)).toString(),
            src.secretUuid(), "derived from the fsid and the user, the same on every node");
        try (RbdVolumeProvider other = RealCluster.provider(Map.of())) {
            assertEquals(src.secretUuid(), other.secretUuid());
        }
        assertArrayEquals(Base64.getDecoder().decode(adminKey()), provider.secretValue(src.secretUuid()));
        assertNull(provider.secretValue(UUID.randomUUID().toString()), "only this provider's secret is handed out");
        assertArrayEquals(Base64.getDecoder().decode(adminKey()), provider.secretLookup().apply(src.secretUuid()));
        String key = adminKey();
        assertFalse(src.toString().contains(key));
        assertFalse(provider.toString().contains(key));
        assertFalse(RealCluster.config(Map.of()).toString().contains(key));
        assertFalse(CephKey.read(RealCluster.config(Map.of())).toString().contains(key));
        assertThrows(NotFoundException.class, () -> provider.resolve(prefix + "absent"));
        provider.delete(v);
    }

    @Test
    void registeredAsVolumeProvider() {
        VolumeProvider asService = provider;
        assertEquals("rbd", asService.name());
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertNotNull(asService.list()));
    }

    static String adminKey() throws Exception {
        for (String line : java.nio.file.Files.readAllLines(RealCluster.keyring())) {
            String t = line.trim();
            if (t.startsWith("key")) return t.substring(t.indexOf('=') + 1).trim();
        }
        throw new IllegalStateException("no key in " + RealCluster.keyring());
    }
}
