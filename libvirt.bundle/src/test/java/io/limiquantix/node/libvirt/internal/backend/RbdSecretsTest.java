package io.limiquantix.node.libvirt.internal.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.BackendUnavailableException;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.storage.DiskSource;
import io.limiquantix.node.libvirt.internal.domain.DomainMapper;
import io.limiquantix.node.libvirt.internal.domain.DomainXmlWriter;
import io.limiquantix.node.libvirt.internal.domain.HostCpuVendor;
import io.limiquantix.node.libvirt.internal.domain.HostTarget;
import io.limiquantix.node.libvirt.internal.domain.XmlDoc;
import io.limiquantix.node.api.Accelerator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The libvirt secrets behind rbd disks: their XML, when they are defined and set, and the refusal without a key. */
class RbdSecretsTest {
    private static final String UUID1 = "0f0e0d0c-0b0a-4908-8706-050403020100";
    private static final String UUID2 = "11111111-2222-4333-8444-555555555555";
    private static final byte[] KEY = "not-a-real-cephx-key-0123456789".getBytes(StandardCharsets.US_ASCII);
    private static final String KEY_B64 = Base64.getEncoder().encodeToString(KEY);

    /** Records what the backend asks of libvirt. */
    static final class FakeStore implements RbdSecrets.Store {
        final Map<String, String> defined = new HashMap<>();
        final Map<String, byte[]> values = new HashMap<>();
        final List<String> calls = new ArrayList<>();

        @Override
        public boolean exists(String uuid) {
            calls.add("exists " + uuid);
            return defined.containsKey(uuid);
        }

        @Override
        public void define(String xml) {
            String uuid = XmlDoc.parse(xml).string("/secret/uuid");
            calls.add("define " + uuid);
            defined.put(uuid, xml);
        }

        @Override
        public void setValue(String uuid, byte[] value) {
            calls.add("set " + uuid);
            values.put(uuid, value.clone());
        }
    }

    private static DiskSpec rbd(String name, String uuid) {
        return new DiskSpec(name, DiskSource.network("rbd", "rbd/" + name, List.of("127.0.0.1:3300"), "admin", uuid),
            DiskSpec.Bus.VIRTIO, DiskSpec.Device.DISK, false, 0);
    }

    @Test
    void secretXmlHasUsageAndFlagsAndNoKey() {
        String xml = RbdSecrets.secretXml(UUID1, "libvirt");
        XmlDoc doc = XmlDoc.parse(xml);
        assertEquals("no", doc.string("/secret/@ephemeral"));
        assertEquals("yes", doc.string("/secret/@private"));
        assertEquals(UUID1, doc.string("/secret/uuid"));
        assertEquals("ceph", doc.string("/secret/usage/@type"));
        assertEquals("client.libvirt secret", doc.string("/secret/usage/name"));
        assertFalse(doc.exists("/secret/value"), xml);
    }

    @Test
    void definesOnceAndSetsTheCurrentValueEveryTime() throws Exception {
        FakeStore store = new FakeStore();
        byte[][] current = {KEY.clone()};
        RbdSecrets secrets = new RbdSecrets("t", uuid -> UUID1.equals(uuid) ? current[0].clone() : null, true);
        List<RbdSecrets.Need> needs = RbdSecrets.fromSpecs("disks", List.of(DiskSpec.file("root", "/var/lib/x.qcow2",
            DiskSource.Format.QCOW2), rbd("a", UUID1), rbd("b", UUID1)));
        assertEquals(2, needs.size());
        assertEquals("disks[1].source.secretUuid", needs.get(0).field());
        secrets.ensure(store, needs);
        assertEquals(List.of("exists " + UUID1, "define " + UUID1, "set " + UUID1), store.calls, "one secret, defined once");
        assertArrayEquals(KEY, store.values.get(UUID1));
        for (String xml : store.defined.values()) {
            assertFalse(xml.contains(KEY_B64) || xml.contains(new String(KEY, StandardCharsets.US_ASCII)), xml);
        }
        // A rotated key: the secret stays, its value follows.
        current[0] = "rotated-key-9876543210".getBytes(StandardCharsets.US_ASCII);
        store.calls.clear();
        secrets.ensure(store, needs);
        assertEquals(List.of("exists " + UUID1, "set " + UUID1), store.calls);
        assertArrayEquals(current[0], store.values.get(UUID1));
    }

    @Test
    void anUnknownKeyIsRefusedBeforeLibvirtIsAskedAnything() {
        FakeStore store = new FakeStore();
        RbdSecrets secrets = new RbdSecrets("t", uuid -> UUID1.equals(uuid) ? KEY.clone() : null, true);
        List<RbdSecrets.Need> needs = RbdSecrets.fromSpecs("disks", List.of(rbd("a", UUID1), rbd("b", UUID2)));
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> secrets.ensure(store, needs));
        assertTrue(e.getMessage().startsWith("disks[1].source.secretUuid: "), e.getMessage());
        assertTrue(e.getMessage().contains(UUID2), e.getMessage());
        assertTrue(store.calls.isEmpty(), "nothing may reach libvirt: " + store.calls);
        assertFalse(e.getMessage().contains(KEY_B64));
    }

    @Test
    void aThrowingLookupCountsAsUnknownAndItsMessageIsNotRepeated() {
        FakeStore store = new FakeStore();
        RbdSecrets secrets = new RbdSecrets("t", uuid -> {
            throw new IllegalStateException("secret stuff " + KEY_B64);
        }, true);
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
            () -> secrets.ensure(store, RbdSecrets.fromSpecs("disks", List.of(rbd("a", UUID1)))));
        assertFalse(e.getMessage().contains(KEY_B64), e.getMessage());
        assertTrue(store.calls.isEmpty());
    }

    @Test
    void noSecretsWithoutAuthOrWhenDisabled() throws Exception {
        FakeStore store = new FakeStore();
        DiskSpec noAuth = new DiskSpec("n", DiskSource.network("rbd", "rbd/n", List.of("127.0.0.1:3300"), null, null),
            DiskSpec.Bus.VIRTIO, DiskSpec.Device.DISK, false, 0);
        assertTrue(RbdSecrets.fromSpecs("disks", List.of(noAuth)).isEmpty());
        new RbdSecrets("t", SecretLookup.NONE, false).ensure(store, RbdSecrets.fromSpecs("disks", List.of(rbd("a", UUID1))));
        assertTrue(store.calls.isEmpty());
    }

    /** What startVm reads back: the domain XML this bundle writes names the secret by UUID, at the disk's index. */
    @Test
    void needsAreReadFromTheDomainXmlWhichHoldsNoKey() {
        VmSpec spec = VmSpec.builder("rbd-vm").id(UUID.randomUUID().toString()).vcpus(1).memoryMiB(128)
            .fileDisk("root", "/var/lib/images/r.qcow2", DiskSource.Format.QCOW2)
            .disk(rbd("data", UUID1)).build();
        String xml = DomainXmlWriter.write(new DomainMapper(HostTarget.of(Accelerator.TCG, false, HostCpuVendor.UNKNOWN)).map(spec));
        List<RbdSecrets.Need> needs = RbdSecrets.fromDomainXml(XmlDoc.parse(xml));
        assertEquals(List.of(new RbdSecrets.Need("disks[1].source.secretUuid", UUID1, "admin")), needs);
        assertFalse(xml.contains(KEY_B64));
    }
}
