package io.limiquantix.node.itest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.options;

import io.limiquantix.node.api.GpuRequest;
import io.limiquantix.node.api.UnsupportedFeatureException;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.runtime.NodeService;
import io.limiquantix.node.runtime.PlacementDecision;
import java.io.File;
import java.nio.file.Files;
import java.util.UUID;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * On a host without an IOMMU (this machine: empty /sys/kernel/iommu_groups) the node refuses a GPU VM with
 * that reason, from the gpu-vfio bundle's reading of the real sysfs, before any backend is asked. On a host
 * with one, the VM (asking for a GPU the host does not have) is refused for another reason.
 */
@RunWith(PaxExam.class)
public class GpuWithoutIommuIT {
    @Inject NodeService node;
    @Inject ConfigurationAdmin cm;
    @Inject BundleContext context;

    @Configuration
    public Option[] config() {
        return options(NodeOptions.node("gpu-" + UUID.randomUUID(), "limiquantix.libvirt.defaults", "false"));
    }

    @Test
    public void aGpuVmIsRefusedWithTheHostsReasonAndNothingIsDefined() throws Exception {
        String[] groups = new File("/sys/kernel/iommu_groups").list();
        boolean iommu = groups != null && groups.length > 0;
        try (TestDriverHold hold = new TestDriverHold()) {
            Backends.add(cm, "gpu-test", "test:///default", 10, "auto");
            Backends.await(node, "gpu-test");
            int domains = hold.domainCount();
            File ledger = new File(context.getProperty("limiquantix.data"), "ledger.json");
            byte[] before = ledger.isFile() ? Files.readAllBytes(ledger.toPath()) : null;

            VmSpec spec = VmSpec.builder("gpu-vm").serialConsole(false).gpu(new GpuRequest(null, "10de:1db6", null, 1)).build();
            PlacementDecision dry = node.place(spec);
            assertNull(dry.chosen());
            RuntimeException e = assertThrows(RuntimeException.class, () -> node.createVm(spec));
            if (!iommu) {
                // This machine's case: the host's reason, before any backend is asked.
                assertTrue("the dry run gives the host's reason: " + dry.reason(), dry.reason().contains("IOMMU"));
                assertTrue(e instanceof UnsupportedFeatureException);
                assertTrue("the refusal gives the host's reason: " + e.getMessage(), e.getMessage().contains("IOMMU"));
            } else {
                // A host with an IOMMU: refused for another reason (no such GPU, no backend passes it through).
                assertTrue("an IOMMU host is not refused for lacking one: " + e.getMessage(), !e.getMessage().contains("no IOMMU"));
            }
            assertEquals(domains, hold.domainCount());
            byte[] after = ledger.isFile() ? Files.readAllBytes(ledger.toPath()) : null;
            assertArrayEquals("the ledger must not change", before, after);
            assertTrue(node.listVms().stream().noneMatch(r -> r.name().equals("gpu-vm")));
        }
    }
}
