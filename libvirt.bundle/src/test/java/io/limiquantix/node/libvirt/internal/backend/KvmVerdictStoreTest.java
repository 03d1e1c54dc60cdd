package io.limiquantix.node.libvirt.internal.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import io.limiquantix.node.api.Accelerator;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The KVM verdict outlives the bundle while kernel, QEMU and /dev/kvm stay the same, and only then. */
class KvmVerdictStoreTest {
    @TempDir
    Path tmp;

    private KvmVerdictStore store(Path qemu, Path kvm, Path release) {
        return new KvmVerdictStore(tmp.resolve("data").resolve(KvmVerdictStore.FILE_NAME), qemu, kvm, release);
    }

    @Test
    void aStoredVerdictIsUsedWhileNothingItDependsOnChanged() throws Exception {
        Path qemu = Files.writeString(tmp.resolve("qemu"), "binary");
        Path kvm = Files.writeString(tmp.resolve("kvm"), "");
        Path release = Files.writeString(tmp.resolve("osrelease"), "6.1.0-test\n");
        KvmVerdictStore s = store(qemu, kvm, release);
        assertNull(s.load(), "nothing stored yet");
        s.save(new KvmProbe.Result(false, "the KVM test guest exited with status 134"));
        KvmProbe.Result back = store(qemu, kvm, release).load();
        assertNotNull(back);
        assertFalse(back.runsGuests());
        assertTrue(back.detail().startsWith("the KVM test guest exited with status 134"), back.detail());
        assertTrue(back.detail().contains("verdict kept in"), "says where it came from: " + back.detail());
    }

    @Test
    void aNewKernelANewQemuOrAVanishedDevKvmMeansProbingAgain() throws Exception {
        Path qemu = Files.writeString(tmp.resolve("qemu"), "binary");
        Path kvm = Files.writeString(tmp.resolve("kvm"), "");
        Path release = Files.writeString(tmp.resolve("osrelease"), "6.1.0-test\n");
        store(qemu, kvm, release).save(new KvmProbe.Result(true, "ok"));
        assertTrue(store(qemu, kvm, release).load().runsGuests());

        Files.writeString(release, "6.2.0-test\n");
        assertNull(store(qemu, kvm, release).load(), "kernel changed");
        Files.writeString(release, "6.1.0-test\n");
        assertNotNull(store(qemu, kvm, release).load());

        Files.setLastModifiedTime(qemu, FileTime.fromMillis(Files.getLastModifiedTime(qemu).toMillis() + 60_000));
        assertNull(store(qemu, kvm, release).load(), "QEMU replaced");
        store(qemu, kvm, release).save(new KvmProbe.Result(true, "ok again"));
        assertNotNull(store(qemu, kvm, release).load());

        Files.delete(kvm);
        assertNull(store(qemu, kvm, release).load(), "/dev/kvm gone");
    }

    @Test
    void anUnreadableFileIsIgnoredAndReplaced() throws Exception {
        Path qemu = Files.writeString(tmp.resolve("qemu"), "binary");
        Path kvm = Files.writeString(tmp.resolve("kvm"), "");
        Path release = Files.writeString(tmp.resolve("osrelease"), "6.1.0-test\n");
        KvmVerdictStore s = store(qemu, kvm, release);
        Files.createDirectories(s.file().getParent());
        Files.writeString(s.file(), "key=\\uZZZZ garbage");
        assertNull(s.load());
        s.save(new KvmProbe.Result(false, "no"));
        assertEquals(false, s.load().runsGuests());
    }

    @Test
    void storedFilesAreOwnerOnlyAndReplacedWhole() throws Exception {
        Path qemu = Files.writeString(tmp.resolve("qemu"), "binary");
        Path kvm = Files.writeString(tmp.resolve("kvm"), "");
        Path release = Files.writeString(tmp.resolve("osrelease"), "6.1.0-test\n");
        KvmVerdictStore s = store(qemu, kvm, release);
        s.save(new KvmProbe.Result(true, "ok"));
        s.save(new KvmProbe.Result(false, "no"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(s.file())));
        assertEquals(1, Files.list(s.file().getParent()).count(), "no temporary file left behind");
        assertFalse(s.load().runsGuests());
    }

    @Test
    void theHyperVStoreSharesTheHostKeyAndKeepsEachAcceleratorApart() throws Exception {
        Path qemu = Files.writeString(tmp.resolve("qemu"), "binary");
        Path kvm = Files.writeString(tmp.resolve("kvm"), "");
        Path release = Files.writeString(tmp.resolve("osrelease"), "6.1.0-test\n");
        HostProbeKey host = new HostProbeKey(qemu, kvm, release);
        KvmVerdictStore k = new KvmVerdictStore(tmp.resolve("data").resolve(KvmVerdictStore.FILE_NAME), host);
        HyperVVerdictStore h = new HyperVVerdictStore(tmp.resolve("data").resolve(HyperVVerdictStore.FILE_NAME), host);
        assertTrue(k.key().startsWith(host.host() + ";probe="), k.key());
        assertTrue(h.key().startsWith(host.host() + ";probe="), h.key());
        assertFalse(k.key().equals(h.key()), "each probe adds its own version");

        assertNull(h.load(Accelerator.TCG));
        h.save(Accelerator.TCG, Set.of("relaxed", "vapic"));
        h.save(Accelerator.KVM, Set.of());
        assertEquals(Set.of("relaxed", "vapic"), h.load(Accelerator.TCG), "the KVM entry did not replace the TCG one");
        assertEquals(Set.of(), h.load(Accelerator.KVM), "an empty answer is an answer");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(h.file())));

        Files.delete(kvm);
        assertNull(h.load(Accelerator.KVM), "/dev/kvm gone");
        assertNull(h.load(Accelerator.TCG), "the whole host key counts");
    }
}
