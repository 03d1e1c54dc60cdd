package io.limiquantix.node.itest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.options;

import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.ProgressListener;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.storage.DiskSource;
import io.limiquantix.node.api.storage.VolumeProvider;
import io.limiquantix.node.api.storage.VolumeSpec;
import io.limiquantix.node.runtime.NodeService;
import io.limiquantix.node.runtime.VmRecord;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.Hashtable;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * A guest boots through NodeService with its disk from the {@code local} volume provider (libvirt.bundle, a
 * directory pool of its own configured through ConfigAdmin): a qcow2 clone with a backing file; core resolves the
 * VOLUME disk to the clone's file, the guest writes {@code LQMARK:<word>} at the start of {@code vda}, and
 * {@code qemu-img} (an oracle independent of the node) finds the bytes in the clone while the backing volume is
 * untouched. Deleting the volume is refused while the VM exists. The pool and its directory are removed.
 */
@RunWith(PaxExam.class)
public class LocalVolumeGuestIT {
    private static final String LOCAL_PID = "io.limiquantix.node.libvirt.local";

    @Inject NodeService node;
    @Inject ConfigurationAdmin cm;
    @Inject BundleContext context;

    @Configuration
    public Option[] config() {
        return options(composite(NodeOptions.node("localvol-" + UUID.randomUUID(),
            "limiquantix.libvirt.defaults", "false",
            "limiquantix.storage.roots", "/var/lib/limiquantix")));
    }

    private VolumeProvider awaitLocal(String pool) {
        return Await.value("the local VolumeProvider on pool " + pool, 60_000, () -> {
            try {
                Collection<ServiceReference<VolumeProvider>> refs = context.getServiceReferences(VolumeProvider.class,
                    "(&(" + VolumeProvider.PROP_NAME + "=local)(limiquantix.volume.pool=" + pool + "))");
                return refs.isEmpty() ? null : context.getService(refs.iterator().next());
            } catch (org.osgi.framework.InvalidSyntaxException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    public void aGuestWritesToALocalCloneAndTheBackingVolumeStaysAsItWas() throws Exception {
        RealHost.requireLibvirtd();
        RealHost.requireGuest();
        String pool = "lq-itest-" + UUID.randomUUID().toString().substring(0, 8);
        Path root = Path.of("/var/lib/limiquantix", pool);
        Files.createDirectories(root);
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        org.osgi.service.cm.Configuration local = cm.getConfiguration(LOCAL_PID, "?");
        org.osgi.service.cm.Configuration backend = null;
        try {
            Hashtable<String, Object> props = new Hashtable<>();
            props.put("pool", pool);
            props.put("path", root.resolve("pool").toString());
            local.update(props);
            VolumeProvider volumes = awaitLocal(pool);
            backend = Backends.add(cm, "local-qemu", "qemu:///system", 100, "tcg");
            Backends.await(node, "local-qemu");

            volumes.create(new VolumeSpec("golden", 32L << 20, DiskSource.Format.QCOW2, Map.of()), ProgressListener.NONE);
            volumes.create(new VolumeSpec("vm-disk", 32L << 20, DiskSource.Format.QCOW2, Map.of("backingVolume", "golden")),
                ProgressListener.NONE);
            byte[] raw = new byte[6];
            new SecureRandom().nextBytes(raw);
            StringBuilder w = new StringBuilder("w");
            for (byte b : raw) w.append(String.format("%02x", b));
            String word = w.toString();

            VmRecord vm = node.createVm(VmSpec.builder("lq-itest-local-" + UUID.randomUUID().toString().substring(0, 8))
                .vcpus(1).memoryMiB(128)
                .kernelBoot(RealHost.KERNEL, RealHost.INITRD, "console=ttyS0 panic=-1 lq.marker=" + word)
                .serialConsole(true)
                .disk(new DiskSpec("vda", DiskSource.volume("local", "vm-disk"), DiskSpec.Bus.VIRTIO, DiskSpec.Device.DISK, false, 0))
                .build());
            try {
                node.startVm(vm.id());
                assertEquals(VmState.RUNNING, node.getVm(vm.id()).state());
                Path log = Path.of(node.consoleInfo(vm.id()).serialLog());
                Await.until("the guest to write the marker (MARKER-WRITTEN in " + log + ")", 180_000,
                    () -> read(log).contains("MARKER-WRITTEN " + word) || read(log).contains("MARKER-FAILED"));
                assertFalse("the guest could not write its disk:\n" + read(log), read(log).contains("MARKER-FAILED"));
                try {
                    volumes.delete("vm-disk");
                    throw new AssertionError("a volume in use was deleted");
                } catch (ConflictException expected) {
                    assertTrue(expected.getMessage(), expected.getMessage().contains(vm.id()));
                }
                node.forceStopVm(vm.id());
            } finally {
                if (node.getVm(vm.id()).state().isActive()) node.forceStopVm(vm.id());
                node.deleteVm(vm.id());
            }
            byte[] expected = ("LQMARK:" + word).getBytes(StandardCharsets.US_ASCII);
            assertArrayEquals(expected, head(root.resolve("pool/vm-disk"), expected.length));
            assertArrayEquals("the backing volume is untouched", new byte[expected.length], head(root.resolve("pool/golden"), expected.length));
            volumes.delete("vm-disk");
            volumes.delete("golden");
        } finally {
            if (backend != null) backend.delete();
            local.delete();
            RealHost.virsh("-c", "qemu:///system", "pool-destroy", pool);
            RealHost.virsh("-c", "qemu:///system", "pool-undefine", pool);
            try (Stream<Path> all = Files.walk(root)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }

    /** The first bytes of the image as a guest sees them, read with qemu-img (not through the node). */
    private static byte[] head(Path image, int n) throws Exception {
        Path out = Files.createTempFile("lq-local-head", ".raw");
        try {
            Process p = new ProcessBuilder("qemu-img", "dd", "-U", "-f", "qcow2", "-O", "raw", "bs=512", "count=1",
                "if=" + image, "of=" + out).redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(text, 0, p.waitFor());
            try (InputStream in = Files.newInputStream(out)) {
                return Arrays.copyOf(in.readNBytes(n), n);
            }
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p, StandardCharsets.ISO_8859_1) : "";
        } catch (IOException e) {
            return "";
        }
    }
}
