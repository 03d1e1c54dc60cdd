package io.limiquantix.node.itest;

import static org.junit.Assert.assertEquals;
import static org.ops4j.pax.exam.CoreOptions.options;

import io.limiquantix.node.api.Subscription;
import io.limiquantix.node.api.VmEvent;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.runtime.NodeService;
import io.limiquantix.node.runtime.VmRecord;
import java.io.File;
import java.io.FileInputStream;
import java.io.InputStream;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * A revision of the libvirt bundle that core has used (its backend served VM calls, events and statistics
 * through NodeService) is garbage-collected after an update and after an uninstall/reinstall, once the framework
 * is refreshed: neither core, Dependency Manager, JNA nor the JDK keeps its class loader. The fast form of
 * SwapUnderLoadIT's last check, on libvirt's in-process test driver (no guest, a few seconds).
 */
@RunWith(PaxExam.class)
public class RevisionGcIT {
    @Inject NodeService node;
    @Inject ConfigurationAdmin cm;
    @Inject BundleContext context;

    @Configuration
    public Option[] config() {
        return options(NodeOptions.node("revision-gc-" + UUID.randomUUID(),
            "limiquantix.libvirt.defaults", "false",
            "limiquantix.storage.roots", "/var/lib/limiquantix/images"));
    }

    @Test
    public void oldRevisionsOfTheLibvirtBundleAreCollected() throws Exception {
        try (TestDriverHold hold = new TestDriverHold()) {
            Backends.add(cm, "gc-test", "test:///default", 10, "tcg");
            Backends.await(node, "gc-test");
            List<VmEvent> events = new CopyOnWriteArrayList<>();
            String name = "gc-" + UUID.randomUUID().toString().substring(0, 8);
            VmRecord vm = node.createVm(VmSpec.builder(name).vcpus(1).memoryMiB(128).serialConsole(false).build());
            List<WeakReference<Class<?>>> old = new ArrayList<>();
            try (Subscription sub = node.subscribe(events::add)) {
                File jar = new File(NodeOptions.BUNDLES, "libvirt.bundle.jar");
                for (int i = 0; i < 2; i++) {
                    use(vm);
                    Bundle libvirt = libvirtBundle();
                    old.add(new WeakReference<>(libvirt.loadClass(SwapUnderLoadIT.PROBE_CLASS)));
                    try (InputStream in = new FileInputStream(jar)) {
                        libvirt.update(in);
                    }
                    Backends.await(node, "gc-test");
                    use(vm);
                    old.add(new WeakReference<>(libvirt.loadClass(SwapUnderLoadIT.PROBE_CLASS)));
                    String location = libvirt.getLocation();
                    libvirt.uninstall();
                    try (InputStream in = new FileInputStream(jar)) {
                        context.installBundle(location, in).start();
                    }
                    Backends.await(node, "gc-test");
                }
                use(vm);
            } finally {
                try {
                    node.deleteVm(vm.id());
                } catch (RuntimeException e) {
                    System.err.println("cleanup of " + name + ": " + e);
                }
            }
            FrameworkWiring wiring = context.getBundle(0).adapt(FrameworkWiring.class);
            if (!wiring.getRemovalPendingBundles().isEmpty()) {
                CountDownLatch refreshed = new CountDownLatch(1);
                wiring.refreshBundles(wiring.getRemovalPendingBundles(), e -> refreshed.countDown());
                refreshed.await(60, TimeUnit.SECONDS);
                Backends.await(node, "gc-test");
            }
            int cleared = 0;
            for (int attempt = 0; attempt < 40 && cleared < old.size(); attempt++) {
                System.gc();
                Thread.sleep(250);
                cleared = (int) old.stream().filter(r -> r.get() == null).count();
            }
            String dump = System.getProperty("lq.gc.dump");
            if (cleared < old.size() && dump != null && !dump.isBlank())
                java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class).dumpHeap(dump, true);
            assertEquals(cleared + " of " + old.size() + " old revisions of the libvirt bundle were collected", old.size(), cleared);
        }
    }

    /** VM calls, statistics and a lifecycle event through core, so core holds whatever it holds of the backend. */
    private void use(VmRecord vm) {
        node.startVm(vm.id());
        node.getVm(vm.id());
        node.listVms();
        node.stats();
        node.forceStopVm(vm.id());
    }

    private Bundle libvirtBundle() {
        for (Bundle b : context.getBundles()) if (SwapUnderLoadIT.LIBVIRT_BSN.equals(b.getSymbolicName())) return b;
        throw new AssertionError("no libvirt bundle installed");
    }
}
