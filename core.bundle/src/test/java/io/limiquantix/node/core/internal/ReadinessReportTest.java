package io.limiquantix.node.core.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.Accelerator;
import io.limiquantix.node.api.BackendHealth;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.HypervisorCapabilities;
import io.limiquantix.node.runtime.BackendView;
import io.limiquantix.node.runtime.NodeService;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReadinessReportTest {
    private static final HypervisorCapabilities TCG = new HypervisorCapabilities("libvirt", "9.0", Accelerator.TCG,
        Set.of(Feature.LINUX_GUEST), 4, 1024, true, null);

    private static BackendView view(String name, HypervisorCapabilities caps, BackendHealth health) {
        return new BackendView(name, "libvirt", 10, 1, caps, health, 0);
    }

    /** A NodeService answering only what the report asks: its backends and VMs. */
    private static NodeService node(List<BackendView> backends) {
        return (NodeService) Proxy.newProxyInstance(NodeService.class.getClassLoader(), new Class<?>[] {NodeService.class},
            (p, m, a) -> switch (m.getName()) {
                case "backends" -> backends;
                case "listVms" -> List.of();
                default -> throw new UnsupportedOperationException(m.getName());
            });
    }

    @Test
    void aConnectingBackendIsNotSettledButAFinalRefusalIs() {
        assertTrue(ReadinessReport.settled(view("a", TCG, BackendHealth.healthy("ok"))));
        assertFalse(ReadinessReport.settled(view("b", HypervisorCapabilities.notCapable("libvirt",
            "not connected to qemu:///system yet: connecting to qemu:///system"), BackendHealth.unavailable("connecting"))));
        assertTrue(ReadinessReport.settled(view("c", HypervisorCapabilities.notCapable("cloudhv",
            "the cloud-hypervisor binary is not installed"), BackendHealth.healthy(""))));
    }

    @Test
    void theReportNamesEveryBackendWithWhyAndWhereToLook() {
        List<BackendView> backends = List.of(view("qemu", TCG, BackendHealth.healthy("ok")),
            view("cloudhv", HypervisorCapabilities.notCapable("cloudhv", "the cloud-hypervisor binary is not installed"),
                BackendHealth.healthy("")));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        NodeConfig config = new NodeConfig(Path.of("/tmp/lq-data"), List.of(), Duration.ofSeconds(1), 1);
        ReadinessReport report = new ReadinessReport(node(backends), config, () -> "  Shell: lq:backends\n", out, 3000, () -> true, List::of);
        report.run();
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("LimiQuantix node ready in"), text);
        assertTrue(text.contains("qemu") && text.contains("live, accelerator TCG"), text);
        assertTrue(text.contains("cloudhv") && text.contains("not capable: the cloud-hypervisor binary is not installed"), text);
        assertTrue(text.contains("/tmp/lq-data") && text.contains("Shell: lq:backends"), text);
    }

    /** cloudhv (not capable) from the start, qemu (live) too once {@code millis} have passed since {@code start}. */
    private static NodeService qemuArrivingAfter(long start, long millis) {
        List<BackendView> early = List.of(view("cloudhv", HypervisorCapabilities.notCapable("cloudhv", "no binary"),
            BackendHealth.healthy("")));
        List<BackendView> later = List.of(early.get(0), view("qemu", TCG, BackendHealth.healthy("ok")));
        return (NodeService) Proxy.newProxyInstance(NodeService.class.getClassLoader(),
            new Class<?>[] {NodeService.class}, (p, m, a) -> switch (m.getName()) {
                case "backends" -> System.currentTimeMillis() - start < millis ? early : later;
                case "listVms" -> List.of();
                default -> throw new UnsupportedOperationException(m.getName());
            });
    }

    /** Runs a report on {@code node} with {@code pending} as its readiness conditions; returns what it printed. */
    private static String report(NodeService node, java.util.function.Supplier<List<String>> pending) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        NodeConfig config = new NodeConfig(Path.of("/tmp/lq-data"), List.of(), Duration.ofSeconds(1), 1);
        new ReadinessReport(node, config, () -> "", new PrintStream(bytes, true, StandardCharsets.UTF_8), 10_000, () -> true, pending).run();
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aBackendThatRegistersAMomentLaterIsStillInTheReport() {
        String text = report(qemuArrivingAfter(System.currentTimeMillis(), 100), List::of);
        assertTrue(text.contains("qemu") && text.contains("cloudhv"), text);
    }

    @Test
    void aDeclaredConditionHoldsTheReportUntilItIsRegisteredAndNoLonger() {
        long start = System.currentTimeMillis();
        // The libvirt bundle's condition arrives with its backend, well after any quiet period would have ended.
        String text = report(qemuArrivingAfter(start, 1200), () -> System.currentTimeMillis() - start < 1200
            ? List.of("io.limiquantix.node.libvirt: limiquantix.libvirt.defaults") : List.of());
        long took = System.currentTimeMillis() - start;
        assertTrue(text.contains("qemu") && text.contains("cloudhv"), text);
        assertFalse(text.contains("still waiting"), text);
        assertTrue(took >= 1200 && took < 5000, "the report waited for the condition and then only for the quiet period: " + took + " ms");
    }

    @Test
    void aConditionNeverRegisteredIsNamedWhenTheSettleTimeEnds() {
        List<BackendView> backends = List.of(view("qemu", TCG, BackendHealth.healthy("ok")));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        NodeConfig config = new NodeConfig(Path.of("/tmp/lq-data"), List.of(), Duration.ofSeconds(1), 1);
        new ReadinessReport(node(backends), config, () -> "", new PrintStream(bytes, true, StandardCharsets.UTF_8), 600, () -> true,
            () -> List.of("io.limiquantix.node.rpc: limiquantix.rpc.listening")).run();
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("still waiting after 0.6 s for: io.limiquantix.node.rpc: limiquantix.rpc.listening"), text);
    }
}
