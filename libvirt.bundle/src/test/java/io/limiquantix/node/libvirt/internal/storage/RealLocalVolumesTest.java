package io.limiquantix.node.libvirt.internal.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.api.OperationProgress;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.storage.DiskSource;
import io.limiquantix.node.api.storage.VolumeInfo;
import io.limiquantix.node.api.storage.VolumeSpec;
import io.limiquantix.node.libvirt.internal.backend.LocalVolumeGuest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.libvirt.StoragePool;

/**
 * The {@code local} provider against the real libvirtd on qemu:///system, with its own directory pool in a
 * temporary directory (pool and directory removed afterwards): create, list, qcow2 clone with a backing file
 * (checked with qemu-img), resize, copy with progress, delete with the in-use and backing checks, refusals naming
 * the field with nothing changed, and a TCG guest booted with its disk from a local clone. Fails instead of
 * skipping with LQ_REQUIRE_REAL=1.
 */
class RealLocalVolumesTest {
    private Path root;
    private String poolName;
    private LocalVolumeProvider provider;

    @BeforeEach
    void setUp() throws Exception {
        LocalVolumeGuest.requireLibvirtd();
        root = Files.createTempDirectory("lq-localvol-");
        // QEMU runs as libvirt-qemu: it must be able to walk into the pool's directory
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        poolName = "lq-test-" + UUID.randomUUID().toString().substring(0, 8);
        provider = new LocalVolumeProvider(LocalPoolConfig.from(Map.of("pool", poolName, "path", root.resolve("pool").toString()), List.of(root)));
    }

    @AfterEach
    void tearDown() throws Exception {
        if (provider != null) provider.close();
        if (poolName == null) return;
        Connect c = new Connect("qemu:///system", false);
        try {
            StoragePool p = c.storagePoolLookupByName(poolName);
            if (p.isActive() == 1) p.destroy();
            p.undefine();
        } catch (LibvirtException e) {
            // never made
        } finally {
            c.close();
        }
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    @Test
    void volumesThroughTheirLifecycle() throws Exception {
        Path dir = root.resolve("pool");
        assertTrue(provider.list().isEmpty());
        assertTrue(Files.isDirectory(dir), "the pool's directory is made on first use");

        VolumeInfo raw = provider.create(new VolumeSpec("data.raw", 1 << 20, DiskSource.Format.RAW, Map.of()), null);
        assertEquals(new VolumeInfo("local", "data.raw", 1 << 20, raw.allocatedBytes(), DiskSource.Format.RAW, null), raw);
        List<OperationProgress> progress = new CopyOnWriteArrayList<>();
        VolumeInfo base = provider.create(new VolumeSpec("base", 64L << 20, DiskSource.Format.QCOW2, Map.of()), progress::add);
        assertEquals(DiskSource.Format.QCOW2, base.format());
        assertEquals(1.0, progress.get(progress.size() - 1).fraction(), progress.toString());
        assertEquals(DiskSource.file(dir.resolve("base").toString(), DiskSource.Format.QCOW2), provider.resolve("base"));

        VolumeInfo clone = provider.create(new VolumeSpec("clone", 64L << 20, DiskSource.Format.QCOW2, Map.of("backingVolume", "base")), null);
        assertEquals("base", clone.parent());
        String qemuImg = run("qemu-img", "info", "-U", "--output=json", dir.resolve("clone").toString());
        assertTrue(qemuImg.contains("\"backing-filename\": \"" + dir.resolve("base") + "\""), qemuImg);
        assertEquals(Set.of("data.raw", "base", "clone"), Set.copyOf(provider.list().stream().map(VolumeInfo::name).toList()));

        assertEquals(128L << 20, provider.resize("clone", 128L << 20, false).sizeBytes());
        InvalidArgumentException shrink = assertThrows(InvalidArgumentException.class, () -> provider.resize("clone", 1 << 20, false));
        assertEquals("newSizeBytes", shrink.field());
        assertEquals(128L << 20, provider.info("clone").sizeBytes(), "a refused shrink changes nothing");

        ConflictException parent = assertThrows(ConflictException.class, () -> provider.delete("base"));
        assertTrue(parent.getMessage().contains("clone"), parent.getMessage());
        assertThrows(ConflictException.class, () -> provider.create(new VolumeSpec("clone", 1 << 20, DiskSource.Format.RAW, Map.of()), null));

        List<OperationProgress> copying = new CopyOnWriteArrayList<>();
        VolumeInfo copy = provider.create(new VolumeSpec("copy", 1 << 20, DiskSource.Format.RAW, Map.of("copyFrom", "data.raw")), copying::add);
        assertNull(copy.parent());
        assertEquals("done", copying.get(copying.size() - 1).phase());

        provider.delete("copy");
        provider.delete("clone");
        provider.delete("base");
        provider.delete("data.raw");
        assertTrue(provider.list().isEmpty());
        assertThrows(NotFoundException.class, () -> provider.info("base"));
        assertThrows(NotFoundException.class, () -> provider.delete("base"));
    }

    @Test
    void badInputNamesTheFieldAndChangesNothing() throws Exception {
        provider.create(new VolumeSpec("keep", 1 << 20, DiskSource.Format.RAW, Map.of()), null);
        List<String> before = listing(root);
        for (String hostile : new String[] {"../escape", "a/b", "pool/a", "a@snap", ".hidden", "..", "", "x".repeat(65), "new\nline"}) {
            assertEquals("volume", assertThrows(InvalidArgumentException.class, () -> provider.info(hostile), hostile).field());
            assertEquals("volume", assertThrows(InvalidArgumentException.class, () -> provider.delete(hostile), hostile).field());
            assertEquals("volume", assertThrows(InvalidArgumentException.class, () -> provider.resolve(hostile), hostile).field());
            assertEquals("volume", assertThrows(InvalidArgumentException.class, () -> provider.resize(hostile, 1, true), hostile).field());
        }
        assertEquals("volume", assertThrows(InvalidArgumentException.class, () -> provider.info(null)).field());
        assertEquals("options.backingVolume", assertThrows(InvalidArgumentException.class, () -> provider.create(
            new VolumeSpec("c", 1 << 20, DiskSource.Format.QCOW2, Map.of("backingVolume", "../keep")), null)).field());
        assertEquals("options.backingVolume", assertThrows(InvalidArgumentException.class, () -> provider.create(
            new VolumeSpec("c", 1 << 20, DiskSource.Format.QCOW2, Map.of("backingVolume", "missing")), null)).field());
        assertEquals("format", assertThrows(InvalidArgumentException.class, () -> provider.create(
            new VolumeSpec("c", 1 << 20, DiskSource.Format.RAW, Map.of("backingVolume", "keep")), null)).field());
        assertEquals("sizeBytes", assertThrows(InvalidArgumentException.class, () -> provider.create(
            new VolumeSpec("c", 1 << 10, DiskSource.Format.QCOW2, Map.of("backingVolume", "keep")), null)).field());
        assertEquals("options.preallocate", assertThrows(InvalidArgumentException.class, () -> provider.create(
            new VolumeSpec("c", 1 << 20, DiskSource.Format.RAW, Map.of("preallocate", "yes")), null)).field());
        assertEquals("options", assertThrows(InvalidArgumentException.class, () -> provider.create(
            new VolumeSpec("c", 1 << 20, DiskSource.Format.QCOW2, Map.of("backingVolume", "keep", "copyFrom", "keep")), null)).field());
        assertEquals("options.copyFrom", assertThrows(InvalidArgumentException.class, () -> provider.create(
            new VolumeSpec("c", 1 << 20, DiskSource.Format.RAW, Map.of("copyFrom", "missing")), null)).field());
        assertEquals("newSizeBytes", assertThrows(InvalidArgumentException.class, () -> provider.resize("keep", 0, true)).field());
        assertEquals("spec", assertThrows(InvalidArgumentException.class, () -> provider.create(null, null)).field());
        assertEquals(before, listing(root), "refused calls left files behind or removed some");
        assertEquals(List.of("keep"), provider.list().stream().map(VolumeInfo::name).toList());
    }

    @Test
    void aPoolOfThatNameElsewhereIsRefused() throws Exception {
        provider.list(); // defines the pool at root/pool
        LocalVolumeProvider other = new LocalVolumeProvider(LocalPoolConfig.from(Map.of("pool", poolName, "path", root.resolve("other").toString()), List.of(root)));
        try {
            ConflictException e = assertThrows(ConflictException.class, other::list);
            assertTrue(e.getMessage().startsWith("pool:") || e.getMessage().contains("pool: libvirt storage pool"), e.getMessage());
            assertFalse(Files.exists(root.resolve("other")), "nothing made for the refused configuration");
        } finally {
            other.close();
        }
    }

    @Test
    void aGuestBootsFromALocalClone() throws Exception {
        LocalVolumeGuest.requirePayload();
        provider.create(new VolumeSpec("golden", 16L << 20, DiskSource.Format.QCOW2, Map.of()), null);
        provider.create(new VolumeSpec("vm-root", 16L << 20, DiskSource.Format.QCOW2, Map.of("backingVolume", "golden")), null);
        // what core does for a VOLUME disk: the provider resolves it, the backend gets a FILE source
        DiskSource resolved = provider.resolve("vm-root");
        assertEquals(DiskSource.Kind.FILE, resolved.kind());
        try (LocalVolumeGuest guest = LocalVolumeGuest.start(new DiskSpec("root", resolved, null, null, false, 0))) {
            String tick = guest.waitForTick(line -> line.contains("disks=vda,"));
            assertTrue(tick.contains("vda"), tick);
            assertEquals(VmState.RUNNING, guest.state());
            ConflictException inUse = assertThrows(ConflictException.class, () -> provider.delete("vm-root"));
            assertTrue(inUse.getMessage().contains(guest.name()), inUse.getMessage());
            ConflictException resize = assertThrows(ConflictException.class, () -> provider.resize("vm-root", 32L << 20, false));
            assertTrue(resize.getMessage().contains("running"), resize.getMessage());
        }
        provider.delete("vm-root");
        provider.delete("golden");
    }

    private static List<String> listing(Path root) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            return all.map(Path::toString).sorted().toList();
        }
    }

    private static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) fail(String.join(" ", cmd) + " did not finish");
        assertEquals(0, p.exitValue(), out);
        return out;
    }
}
