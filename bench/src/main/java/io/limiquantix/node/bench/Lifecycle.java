package io.limiquantix.node.bench;

import io.limiquantix.node.rpc.v1.CreateVMRequest;
import io.limiquantix.node.rpc.v1.NodeDaemonServiceGrpc.NodeDaemonServiceBlockingStub;
import io.limiquantix.node.rpc.v1.Vm;
import io.limiquantix.node.rpc.v1.VmRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;

/**
 * create → start → force-stop → delete of a real QEMU (TCG) domain booting the test guest: through the node's
 * gRPC API, and through libvirt-java directly with the very domain XML the node defined (taken from libvirt
 * after a warm-up cycle, with a new name and UUID each time). The two alternate, each going first in every
 * other pair, so that the shared machine's load falls on both alike. Every domain is named {@code lq-bench-*}
 * and removed, also after a failure.
 */
final class Lifecycle {
    static final String BACKEND = "bench-qemu";
    static final String URI = System.getProperty("bench.qemuUri", "qemu:///system");

    private Lifecycle() {}

    /** Per-step times of one cycle, in nanoseconds. */
    record Cycle(long create, long start, long stop, long delete) {
        long total() {
            return create + start + stop + delete;
        }
    }

    static void run(Consumer<Main.Result> results) throws Exception {
        if (!Files.isRegularFile(Path.of(Specs.KERNEL)) || !Files.isRegularFile(Path.of(Specs.INITRD)))
            throw new IllegalStateException("the test guest is missing in " + Specs.GUEST_DIR + " (run/lib/guest-payload.sh builds it)");
        Connect direct = new Connect(URI);
        Path work = Files.createTempDirectory("lq-bench-");
        try {
            cleanUp(direct);
            try (BenchNode node = new BenchNode(Main.BUNDLES, work, BACKEND, URI)) {
                long ready = node.awaitReady(180);
                System.out.printf(Locale.ROOT, "node up (backend %s on %s) in %.1f s%n", BACKEND, URI, ready / 1e9);
                NodeDaemonServiceBlockingStub stub = node.stub();
                // Warm-up: one cycle each way; the node's cycle also yields the XML it defines.
                String[] xml = new String[1];
                grpcCycle(stub, "lq-bench-warm", id -> xml[0] = inactiveXml(direct, id));
                String template = xml[0];
                directCycle(direct, template);
                List<Cycle> viaNode = new ArrayList<>();
                List<Cycle> viaLibvirt = new ArrayList<>();
                for (int i = 0; i < Main.CYCLES; i++) {
                    String name = String.format(Locale.ROOT, "lq-bench-rpc-%02d", i);
                    if (i % 2 == 0) {
                        viaNode.add(grpcCycle(stub, name, id -> { }));
                        viaLibvirt.add(directCycle(direct, template));
                    } else {
                        viaLibvirt.add(directCycle(direct, template));
                        viaNode.add(grpcCycle(stub, name, id -> { }));
                    }
                    System.out.printf(Locale.ROOT, "  cycle %2d: gRPC %7.1f ms, libvirt-java %7.1f ms%n", i,
                        viaNode.get(i).total() / 1e6, viaLibvirt.get(i).total() / 1e6);
                }
                report(viaNode, viaLibvirt, results);
            }
        } finally {
            try {
                cleanUp(direct);
            } finally {
                direct.close();
                Main.deleteTree(work);
            }
        }
    }

    private static Cycle grpcCycle(NodeDaemonServiceBlockingStub stub, String name, Consumer<String> afterCreate) {
        NodeDaemonServiceBlockingStub s = stub.withDeadlineAfter(300, TimeUnit.SECONDS);
        long t0 = System.nanoTime();
        Vm vm = s.createVM(CreateVMRequest.newBuilder().setSpec(Specs.guest(name, BACKEND)).build());
        long t1 = System.nanoTime();
        afterCreate.accept(vm.getId());
        VmRequest req = VmRequest.newBuilder().setVm(vm.getId()).build();
        long t2 = System.nanoTime();
        s.startVM(req);
        long t3 = System.nanoTime();
        s.forceStopVM(req);
        long t4 = System.nanoTime();
        s.deleteVM(req);
        long t5 = System.nanoTime();
        return new Cycle(t1 - t0, t3 - t2, t4 - t3, t5 - t4);
    }

    private static String inactiveXml(Connect c, String id) {
        try {
            String xml = c.domainLookupByUUIDString(id).getXMLDesc(Domain.XMLFlags.INACTIVE);
            // The id also names the serial log; both become placeholders.
            return xml.replace(id, "@UUID@").replace("<name>lq-bench-warm</name>", "<name>@NAME@</name>");
        } catch (LibvirtException e) {
            throw new IllegalStateException("cannot read the node's domain XML: " + e, e);
        }
    }

    private static Cycle directCycle(Connect c, String template) throws LibvirtException {
        String id = UUID.randomUUID().toString();
        String xml = template.replace("@UUID@", id).replace("@NAME@", "lq-bench-direct-" + id.substring(0, 8));
        long t0 = System.nanoTime();
        Domain d = c.domainDefineXML(xml);
        long t1 = System.nanoTime();
        d.create();
        long t2 = System.nanoTime();
        d.destroy();
        long t3 = System.nanoTime();
        d.undefine(DirectLibvirt.UNDEFINE_FLAGS);
        long t4 = System.nanoTime();
        return new Cycle(t1 - t0, t2 - t1, t3 - t2, t4 - t3);
    }

    private static void report(List<Cycle> viaNode, List<Cycle> viaLibvirt, Consumer<Main.Result> results) {
        Stats node = new Stats();
        Stats lib = new Stats();
        Stats pairRatios = new Stats();
        for (int i = 0; i < viaNode.size(); i++) {
            node.add(viaNode.get(i).total());
            lib.add(viaLibvirt.get(i).total());
            pairRatios.add(Math.round(1e6 * viaNode.get(i).total() / (double) viaLibvirt.get(i).total()));
        }
        System.out.printf(Locale.ROOT, "  per step (median ms)   create   start    stop  delete   cycle%n");
        System.out.printf(Locale.ROOT, "  gRPC via the node     %s%n", steps(viaNode));
        System.out.printf(Locale.ROOT, "  libvirt-java direct   %s%n", steps(viaLibvirt));
        double ratioTotal = node.totalMs() / lib.totalMs();
        double ratioMedian = node.percentileMs(50) / lib.percentileMs(50);
        System.out.printf(Locale.ROOT, "  total of %d cycles: gRPC %.0f ms, libvirt-java %.0f ms; ratio of totals %.3f, of medians %.3f, median of pair ratios %.3f%n",
            viaNode.size(), node.totalMs(), lib.totalMs(), ratioTotal, ratioMedian, pairRatios.percentileMs(50));
        results.accept(new Main.Result("create/start/force-stop/delete, real QEMU (TCG)",
            Main.ms(node.percentileMs(50)) + "/cycle", "<= 1.05x", ratioTotal <= 1.05,
            "libvirt-java direct, same XML, interleaved: " + Main.ms(lib.percentileMs(50)) + "/cycle (median of "
                + viaLibvirt.size() + ")",
            String.format(Locale.ROOT, "%.3fx (totals of %d cycles; medians %.3fx)", ratioTotal, viaNode.size(), ratioMedian)));
    }

    private static String steps(List<Cycle> cycles) {
        Stats create = new Stats();
        Stats start = new Stats();
        Stats stop = new Stats();
        Stats delete = new Stats();
        Stats total = new Stats();
        for (Cycle c : cycles) {
            create.add(c.create());
            start.add(c.start());
            stop.add(c.stop());
            delete.add(c.delete());
            total.add(c.total());
        }
        return String.format(Locale.ROOT, "%7.1f %7.1f %7.1f %7.1f %7.1f", create.percentileMs(50), start.percentileMs(50),
            stop.percentileMs(50), delete.percentileMs(50), total.percentileMs(50));
    }

    /** Destroys and undefines every domain named lq-bench-* (this benchmark's, from this run or an aborted one). */
    static void cleanUp(Connect c) throws LibvirtException {
        for (Domain d : c.listAllDomains(0)) {
            String name = d.getName();
            if (!name.startsWith("lq-bench-")) continue;
            try {
                if (d.isActive() == 1) d.destroy();
                d.undefine(DirectLibvirt.UNDEFINE_FLAGS);
                System.out.println("  removed leftover domain " + name);
            } catch (LibvirtException e) {
                System.err.println("  could not remove domain " + name + ": " + e);
            }
        }
    }
}
