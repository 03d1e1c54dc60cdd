package io.limiquantix.node.libvirt.internal.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.BackendUnavailableException;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.storage.DiskSource;
import io.limiquantix.node.libvirt.internal.domain.XmlDoc;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The cephx secrets of rbd disks against the real libvirt on qemu:///system. Nothing is ever started: the
 * monitor address is unroutable on purpose, so a start that slipped through would hang, which is exactly
 * what the refusal prevents. Skips loudly without libvirtd, unless LQ_REQUIRE_REAL=1.
 */
class RealRbdSecretTest {
    private static final byte[] KEY = "AQBrZWhlaW0tdGVzdC1rZXktb25seS0wMDA=".getBytes(StandardCharsets.US_ASCII);
    private static final String SECRET = UUID.randomUUID().toString();
    private static final String USER = "lqtest" + SECRET.substring(0, 8);

    private static LibvirtHypervisor withKey;
    private static LibvirtHypervisor withoutKey;

    @BeforeAll
    static void connect() {
        String why = DaemonProbe.answers("qemu:///system", 10);
        LibvirtTestSupport.requireOrSkip(why == null, "libvirtd does not answer on qemu:///system: " + why);
        withKey = open("qemu-rbd-key", uuid -> SECRET.equals(uuid) ? KEY.clone() : null);
        withoutKey = open("qemu-rbd-nokey", SecretLookup.NONE);
    }

    private static LibvirtHypervisor open(String name, SecretLookup lookup) {
        LibvirtTestSupport.startLoop();
        LibvirtHypervisor hv = new LibvirtHypervisor(name, "qemu:///system", AccelDecision.Requested.TCG, lookup);
        hv.open();
        LibvirtTestSupport.waitFor(Duration.ofSeconds(150), () -> hv.health().isHealthy() && hv.probed(),
            () -> "backend " + name + " did not connect: " + hv.health());
        return hv;
    }

    @AfterAll
    static void close() throws Exception {
        if (withKey != null) withKey.close();
        if (withoutKey != null) withoutKey.close();
        virsh("secret-undefine", SECRET);
    }

    private static VmSpec spec(String id) {
        return VmSpec.builder("lq-rbd-" + id.substring(0, 8)).id(id).vcpus(1).memoryMiB(128).serialConsole(false)
            .disk(new DiskSpec("data", DiskSource.network("rbd", "rbd/lq-none", List.of("192.0.2.1:3300"), USER, SECRET),
                DiskSpec.Bus.VIRTIO, DiskSpec.Device.DISK, false, 0))
            .build();
    }

    @Test
    void theSecretIsDefinedBeforeTheDomainAndAStartWithoutKeyIsRefused() throws Exception {
        String refusedId = UUID.randomUUID().toString();
        BackendUnavailableException noKey = assertThrows(BackendUnavailableException.class, () -> withoutKey.createVm(spec(refusedId)));
        assertTrue(noKey.getMessage().startsWith("disks[0].source.secretUuid: "), noKey.getMessage());
        assertThrows(NotFoundException.class, () -> withoutKey.status(refusedId), "nothing was defined");

        String id = UUID.randomUUID().toString();
        try {
            assertEquals(VmState.STOPPED, withKey.createVm(spec(id)).state());
            Result secret = virsh("secret-dumpxml", SECRET);
            assertEquals(0, secret.exit, secret.out);
            XmlDoc s = XmlDoc.parse(secret.out);
            assertEquals("ceph", s.string("/secret/usage/@type"));
            assertEquals("client." + USER + " secret", s.string("/secret/usage/name"));
            assertEquals("yes", s.string("/secret/@private"));
            assertEquals("no", s.string("/secret/@ephemeral"));
            assertTrue(virsh("secret-get-value", SECRET).exit != 0, "a private secret's value cannot be read back");

            String domain = virsh("dumpxml", "--security-info", id).out;
            assertTrue(domain.contains(SECRET), domain);
            String b64 = Base64.getEncoder().encodeToString(KEY);
            assertFalse(domain.contains(new String(KEY, StandardCharsets.US_ASCII)) || domain.contains(b64), domain);

            // The same domain through a backend that cannot get the key: refused before libvirt starts anything.
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> withoutKey.startVm(id));
            assertTrue(e.getMessage().startsWith("disks[0].source.secretUuid: "), e.getMessage());
            assertTrue(e.getMessage().contains(SECRET), e.getMessage());
            assertEquals(VmState.STOPPED, withKey.status(id).state(), "refused before start: not paused, not running");
        } finally {
            try {
                withKey.deleteVm(id);
            } catch (NotFoundException ignored) {
                // never defined
            }
        }
    }

    private record Result(int exit, String out) {}

    private static Result virsh(String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of("virsh", "-c", "qemu:///system"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = p.getInputStream()) {
            in.transferTo(out);
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, "virsh timed out");
        }
        return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8));
    }
}
