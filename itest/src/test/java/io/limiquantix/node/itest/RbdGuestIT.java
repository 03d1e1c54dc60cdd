package io.limiquantix.node.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.options;

import io.limiquantix.node.api.ConsoleInfo;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.ProgressListener;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.storage.DiskSource;
import io.limiquantix.node.api.storage.VolumeProvider;
import io.limiquantix.node.api.storage.VolumeSpec;
import io.limiquantix.node.runtime.BackendView;
import io.limiquantix.node.runtime.NodeService;
import io.limiquantix.node.runtime.VmRecord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Collection;
import java.util.Hashtable;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 * A guest writes to a Ceph RBD volume through libvirt: the storage-ceph provider (configured through
 * ConfigAdmin against the test cluster in {@code LQ_CEPH_DIR}) creates a 64 MiB image, a VM created
 * through NodeService gets it as {@code vda} (core resolves the VOLUME to an rbd NETWORK disk, the libvirt
 * backend defines the cephx secret), the guest writes {@code LQMARK:<word>} at its start, and the bytes
 * are read back from the cluster with the {@code rbd} CLI, an oracle independent of the node. The cephx key
 * must appear neither in the domain XML nor in the log.
 */
@RunWith(PaxExam.class)
public class RbdGuestIT {
    private static final String CEPH_FACTORY_PID = "io.limiquantix.node.ceph";

    @Inject NodeService node;
    @Inject ConfigurationAdmin cm;
    @Inject BundleContext context;

    @Configuration
    public Option[] config() {
        return options(composite(NodeOptions.node("rbdguest-" + UUID.randomUUID(),
            "limiquantix.libvirt.defaults", "false",
            "limiquantix.storage.roots", "/var/lib/limiquantix")),
            NodeOptions.jar("storage-ceph.bundle"));
    }

    /** Every log record of the framework's JUL (where the bundles' loggers end up), formatted. */
    private static final class Capture extends Handler {
        final StringBuffer text = new StringBuffer();

        Capture() {
            setLevel(Level.ALL);
            setFormatter(new SimpleFormatter());
        }

        @Override
        public void publish(LogRecord r) {
            text.append(getFormatter().format(r));
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p, StandardCharsets.ISO_8859_1) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static String cephKey(Path keyring) throws IOException {
        Matcher m = Pattern.compile("(?m)^\\s*key\\s*=\\s*(\\S+)\\s*$").matcher(Files.readString(keyring));
        assertTrue("no key in " + keyring, m.find());
        return m.group(1);
    }

    private static String run(long timeoutSeconds, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> {
            try (InputStream in = p.getInputStream()) {
                in.transferTo(out);
            } catch (IOException ignored) {
                // process gone
            }
        });
        reader.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " did not finish within " + timeoutSeconds + " s");
        }
        reader.join(5000);
        String text = out.toString(StandardCharsets.UTF_8);
        if (p.exitValue() != 0) throw new AssertionError(String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + text);
        return text;
    }

    private VolumeProvider awaitProvider(String name) {
        return Await.value("the VolumeProvider " + name + " to register", 60_000, () -> {
            try {
                Collection<ServiceReference<VolumeProvider>> refs =
                    context.getServiceReferences(VolumeProvider.class, "(" + VolumeProvider.PROP_NAME + "=" + name + ")");
                return refs.isEmpty() ? null : context.getService(refs.iterator().next());
            } catch (org.osgi.framework.InvalidSyntaxException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    public void aGuestWritesToAnRbdVolumeAndTheClusterHasTheBytes() throws Exception {
        RealHost.requireLibvirtd();
        RealHost.requireGuest();
        String cephDir = System.getenv("LQ_CEPH_DIR");
        Path dir = cephDir == null || cephDir.isBlank() ? null : Path.of(cephDir);
        RealHost.require(dir != null && Files.isRegularFile(dir.resolve("monitors")) && Files.isRegularFile(dir.resolve("ceph.conf"))
            && Files.isRegularFile(dir.resolve("ceph.client.admin.keyring")),
            "a Ceph test cluster in LQ_CEPH_DIR (run/lib/ceph-cluster.sh up DIR; LQ_CEPH_DIR=" + cephDir + ")");
        Path keyring = dir.resolve("ceph.client.admin.keyring");
        String key = cephKey(keyring);
        String conf = dir.resolve("ceph.conf").toString();

        Capture capture = new Capture();
        Logger root = Logger.getLogger("");
        Logger ours = Logger.getLogger("io.limiquantix");
        Level oursBefore = ours.getLevel();
        ours.setLevel(Level.ALL);
        root.addHandler(capture);
        PrintStream outBefore = System.out;
        PrintStream errBefore = System.err;
        ByteArrayOutputStream consoleCopy = new ByteArrayOutputStream();
        System.setOut(new PrintStream(new Tee(outBefore, consoleCopy), true));
        System.setErr(new PrintStream(new Tee(errBefore, consoleCopy), true));
        org.osgi.service.cm.Configuration cephConfig = null;
        org.osgi.service.cm.Configuration backendConfig = null;
        String secretUuid = null;
        try {
            cephConfig = cm.createFactoryConfiguration(CEPH_FACTORY_PID, null);
            Hashtable<String, Object> props = new Hashtable<>();
            props.put("monitors", Files.readString(dir.resolve("monitors")).trim());
            props.put("keyring", keyring.toString());
            props.put("user", "admin");
            props.put("pool", "rbd");
            cephConfig.update(props);
            VolumeProvider rbd = awaitProvider("rbd");

            backendConfig = Backends.add(cm, "rbd-qemu", "qemu:///system", 100, "tcg");
            BackendView qemu = Backends.await(node, "rbd-qemu");
            assertTrue("the backend must offer RBD_DISK (QEMU's rbd block driver: Debian package qemu-block-extra): "
                + qemu.capabilities(), qemu.capabilities().features().contains(Feature.RBD_DISK));

            String image = "lq-itest-" + UUID.randomUUID().toString().substring(0, 8);
            rbd.create(new VolumeSpec(image, 64L << 20, DiskSource.Format.RAW, Map.of()), ProgressListener.NONE);
            try {
                byte[] raw = new byte[6];
                new SecureRandom().nextBytes(raw);
                StringBuilder w = new StringBuilder("w");
                for (byte b : raw) w.append(String.format("%02x", b));
                String word = w.toString();

                String name = "lq-itest-rbd-" + UUID.randomUUID().toString().substring(0, 8);
                VmRecord vm = node.createVm(VmSpec.builder(name).vcpus(1).memoryMiB(128)
                    .kernelBoot(RealHost.KERNEL, RealHost.INITRD, "console=ttyS0 panic=-1 lq.marker=" + word)
                    .serialConsole(true)
                    .disk(new DiskSpec("vda", DiskSource.volume("rbd", image), DiskSpec.Bus.VIRTIO, DiskSpec.Device.DISK, false, 0))
                    .build());
                String domainXml;
                try {
                    node.startVm(vm.id());
                    assertEquals(VmState.RUNNING, node.getVm(vm.id()).state());
                    ConsoleInfo console = node.consoleInfo(vm.id());
                    assertNotNull("serial log path", console.serialLog());
                    Path log = Path.of(console.serialLog());
                    Await.until("the guest to write the marker (MARKER-WRITTEN in " + log + ")", 180_000,
                        () -> read(log).contains("MARKER-WRITTEN " + word) || read(log).contains("MARKER-FAILED"));
                    assertFalse("the guest could not write its disk:\n" + read(log), read(log).contains("MARKER-FAILED"));
                    RealHost.Result dump = RealHost.virsh("-c", "qemu:///system", "dumpxml", "--security-info", vm.id());
                    assertEquals(dump.out(), 0, dump.exit());
                    domainXml = dump.out();
                    assertTrue(domainXml, domainXml.contains("protocol='rbd'") && domainXml.contains("rbd/" + image));
                    Matcher m = Pattern.compile("<secret type='ceph' uuid='([0-9a-f-]{36})'").matcher(domainXml);
                    assertTrue("the disk refers to its secret by UUID:\n" + domainXml, m.find());
                    secretUuid = m.group(1);
                    node.forceStopVm(vm.id());
                    assertEquals(VmState.STOPPED, node.getVm(vm.id()).state());
                } finally {
                    if (node.getVm(vm.id()).state().isActive()) node.forceStopVm(vm.id());
                    node.deleteVm(vm.id());
                }
                assertTrue("libvirt still knows the domain", RealHost.virsh("-c", "qemu:///system", "dominfo", vm.id()).exit() != 0);

                // The oracle: the image's first bytes as the cluster has them, read with Ceph's own CLI.
                Path export = Files.createTempFile("lq-rbd-export", ".img");
                try {
                    Files.delete(export);
                    run(120, "rbd", "-c", conf, "--keyring", keyring.toString(), "--id", "admin", "export", "rbd/" + image,
                        export.toString());
                    byte[] head;
                    try (InputStream in = Files.newInputStream(export)) {
                        head = in.readNBytes(64);
                    }
                    byte[] expected = ("LQMARK:" + word).getBytes(StandardCharsets.US_ASCII);
                    assertTrue("the image starts with " + new String(expected, StandardCharsets.US_ASCII) + ", not "
                            + new String(head, StandardCharsets.ISO_8859_1),
                        Arrays.equals(expected, Arrays.copyOf(head, expected.length)));
                } finally {
                    Files.deleteIfExists(export);
                }

                assertFalse("the cephx key is in the domain XML", domainXml.contains(key));
            } finally {
                rbd.delete(image);
            }
            assertFalse("the volume is gone", rbd.list().stream().anyMatch(v -> v.name().equals(image)));
        } finally {
            root.removeHandler(capture);
            ours.setLevel(oursBefore);
            System.setOut(outBefore);
            System.setErr(errBefore);
            if (backendConfig != null) backendConfig.delete();
            if (cephConfig != null) cephConfig.delete();
            if (secretUuid != null) RealHost.virsh("-c", "qemu:///system", "secret-undefine", secretUuid);
        }
        String logged = capture.text.toString() + consoleCopy.toString(StandardCharsets.UTF_8);
        assertTrue("the log captured nothing: is the capture wired?", logged.contains("rbd-qemu"));
        assertFalse("the cephx key appears in the log", logged.contains(key));
    }

    /** Writes to two streams: the console keeps its output and the test gets a copy to search. */
    private static final class Tee extends java.io.OutputStream {
        private final java.io.OutputStream a;
        private final java.io.OutputStream b;

        Tee(java.io.OutputStream a, java.io.OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws IOException {
            a.write(c);
            synchronized (b) {
                b.write(c);
            }
        }

        @Override
        public void write(byte[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            synchronized (b) {
                b.write(buf, off, len);
            }
        }

        @Override
        public void flush() throws IOException {
            a.flush();
        }
    }
}
