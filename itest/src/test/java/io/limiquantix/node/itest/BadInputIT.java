package io.limiquantix.node.itest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.options;

import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.device.HostDevice;
import io.limiquantix.node.api.storage.DiskSource;
import io.limiquantix.node.runtime.NodeService;
import io.limiquantix.node.runtime.VmRecord;
import java.io.File;
import java.nio.file.Files;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Bad input through the node in Felix: refused with an error naming the field; no domain is defined on
 * any backend (counted by libvirt, not by the node) and the ledger file is byte-for-byte unchanged.
 */
@RunWith(PaxExam.class)
public class BadInputIT {
    @Inject NodeService node;
    @Inject ConfigurationAdmin cm;
    @Inject BundleContext context;

    @Configuration
    public Option[] config() {
        return options(NodeOptions.node("badinput-" + UUID.randomUUID(),
            "limiquantix.libvirt.defaults", "false",
            "limiquantix.storage.roots", "/var/lib/limiquantix/images"));
    }

    private static String field(Supplier<?> call) {
        return assertThrows(InvalidArgumentException.class, call::get).field();
    }

    @Test
    public void badSpecsAreRefusedNamingTheFieldAndChangeNothing() throws Exception {
        try (TestDriverHold hold = new TestDriverHold()) {
            Backends.add(cm, "bad-test", "test:///default", 10, "auto");
            Backends.await(node, "bad-test");
            VmRecord existing = node.createVm(VmSpec.builder("bad-existing").serialConsole(false).build());
            // Read from the framework: Pax Exam runs this method in a fresh copy of the class inside Felix.
            File ledger = new File(context.getProperty("limiquantix.data"), "ledger.json");
            assertTrue("ledger written at " + ledger, ledger.isFile());
            byte[] ledgerBefore = Files.readAllBytes(ledger.toPath());
            int domainsBefore = hold.domainCount();
            List<VmRecord> vmsBefore = node.listVms();

            // Refused by the value types before the node sees them.
            assertEquals("name", field(() -> VmSpec.builder("x</name><devices>").build()));
            assertEquals("name", field(() -> VmSpec.builder("../../etc/shadow").build()));
            assertEquals("name", field(() -> VmSpec.builder("").build()));
            assertEquals("name", field(() -> VmSpec.builder("n".repeat(65)).build()));
            assertEquals("disks[0].source.path", field(() -> VmSpec.builder("ok").fileDisk("root", "../../etc/shadow", null).build()));
            assertEquals("cpu.vcpus", field(() -> VmSpec.builder("ok").vcpus(0)));
            assertEquals("memory.sizeMiB", field(() -> VmSpec.builder("ok").memoryMiB(1)));

            // Refused by the node: valid as values, not acceptable on this node.
            assertEquals("disks[0].source.path", field(() -> node.createVm(VmSpec.builder("bad-1")
                .fileDisk("root", "/etc/shadow", DiskSource.Format.RAW).build())));
            assertEquals("disks[0].source.path", field(() -> node.createVm(VmSpec.builder("bad-2")
                .fileDisk("root", "/var/lib/limiquantix/images-evil/x.img", DiskSource.Format.RAW).build())));
            assertEquals("boot.kernel", field(() -> node.createVm(VmSpec.builder("bad-3")
                .kernelBoot("/boot/vmlinuz", null, "console=ttyS0").build())));
            assertEquals("hostDevices", field(() -> node.createVm(VmSpec.builder("bad-4").build().withHostDevices(List.of(
                new HostDevice(HostDevice.Kind.PCI, "0000:01:00.0", "10de", "1db6", "030200", null, 1, 0, null, null, null))))));
            assertThrows(ConflictException.class, () -> node.createVm(VmSpec.builder("bad-existing").serialConsole(false).build()));

            assertEquals("no domain may be defined from invalid input", domainsBefore, hold.domainCount());
            assertArrayEquals("the ledger must not change", ledgerBefore, Files.readAllBytes(ledger.toPath()));
            assertEquals(vmsBefore.size(), node.listVms().size());
            node.deleteVm(existing.id());
        }
    }
}
