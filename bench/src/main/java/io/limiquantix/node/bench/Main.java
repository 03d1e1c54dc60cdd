package io.limiquantix.node.bench;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.limiquantix.node.rpc.v1.CreateVMRequest;
import io.limiquantix.node.rpc.v1.ListVMsRequest;
import io.limiquantix.node.rpc.v1.ListVMsResponse;
import io.limiquantix.node.rpc.v1.NodeDaemonServiceGrpc.NodeDaemonServiceBlockingStub;
import io.limiquantix.node.rpc.v1.Vm;
import io.limiquantix.node.rpc.v1.VmRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * The node's benchmarks (issue #3): ListVMs and GetVM ("GetVMStatus") over gRPC against libvirt's test driver
 * with many VMs created through the node, and a create/start/force-stop/delete cycle over gRPC against the same
 * cycle through libvirt-java on a real QEMU (TCG) domain. Every figure is printed with its target and a ratio
 * against a baseline measured in the same run.
 *
 * <p>Arguments: any of {@code listvms status lifecycle} (default: all). System properties: {@code bench.vms}
 * (10000), {@code bench.samples} (50 ListVMs calls), {@code bench.threads} (8 GetVM client threads),
 * {@code bench.seconds} (10 s per throughput run), {@code bench.cycles} (10 lifecycle cycles per side),
 * {@code bench.bundles} (the node's bundles, {@code bench/target/bundles}).
 */
public final class Main {
    static final int VMS = Integer.getInteger("bench.vms", 10_000);
    static final int SAMPLES = Integer.getInteger("bench.samples", 50);
    static final int THREADS = Integer.getInteger("bench.threads", 8);
    static final int SECONDS = Integer.getInteger("bench.seconds", 10);
    static final int CYCLES = Integer.getInteger("bench.cycles", 10);
    static final int CREATE_THREADS = Integer.getInteger("bench.createThreads", 16);
    static final Path BUNDLES = Path.of(System.getProperty("bench.bundles", "bench/target/bundles"));

    /** One line of the summary. */
    record Result(String name, String figure, String target, boolean met, String baseline, String ratio) {
    }

    private static final List<Result> RESULTS = new ArrayList<>();

    private Main() {}

    public static void main(String[] args) throws Exception {
        // The node logs every VM it creates at INFO; 10,000 of them would drown the figures.
        Logger.getLogger("").setLevel(Level.WARNING);
        Set<String> which = new LinkedHashSet<>(args.length == 0 ? List.of("listvms", "status", "lifecycle") : List.of(args));
        for (String w : which)
            if (!Set.of("listvms", "status", "lifecycle").contains(w))
                throw new IllegalArgumentException("unknown benchmark '" + w + "' (listvms, status, lifecycle)");
        System.out.printf(Locale.ROOT, "LimiQuantix node benchmarks: %s; %d cores, JVM %s, max heap %d MiB%n", which,
            Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
            Runtime.getRuntime().maxMemory() >> 20);
        if (which.contains("listvms") || which.contains("status")) testDriver(which);
        if (which.contains("lifecycle")) Lifecycle.run(RESULTS::add);
        summary();
    }

    // --- ListVMs and GetVM against the test driver ----------------------------------------------------------

    private static void testDriver(Set<String> which) throws Exception {
        // The ledger of this phase lives on tmpfs when there is one: creating 10,000 VMs rewrites it 20,000 times,
        // and no measured call (ListVMs, GetVM) writes it.
        Path base = Path.of(System.getProperty("bench.testDataRoot", Files.isDirectory(Path.of("/dev/shm")) ? "/dev/shm" : System.getProperty("java.io.tmpdir")));
        Path work = Files.createTempDirectory(base, "lq-bench-");
        try (BenchNode node = new BenchNode(BUNDLES, work, "bench-test", "test:///default")) {
            long ready = node.awaitReady(120);
            System.out.printf(Locale.ROOT, "node up (Felix, real bundles, gRPC on 127.0.0.1:%d, backend bench-test on test:///default) in %.1f s%n",
                node.port, ready / 1e9);
            List<String> ids = createMany(node, VMS);
            if (which.contains("listvms")) listVms(node, ids.size());
            if (which.contains("status")) status(node, ids);
        } finally {
            deleteTree(work);
        }
    }

    /** Creates {@code count} VMs through CreateVM (so through NodeService, into the ledger), several at a time. */
    private static List<String> createMany(BenchNode node, int count) throws Exception {
        List<String> ids = Collections.synchronizedList(new ArrayList<>(count));
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(CREATE_THREADS);
        List<Future<?>> tasks = new ArrayList<>();
        for (int t = 0; t < CREATE_THREADS; t++) tasks.add(pool.submit(() -> {
            NodeDaemonServiceBlockingStub stub = node.stub();
            for (int i = next.getAndIncrement(); i < count && failure.get() == null; i = next.getAndIncrement()) {
                try {
                    Vm vm = stub.withDeadlineAfter(300, TimeUnit.SECONDS).createVM(CreateVMRequest.newBuilder()
                        .setSpec(Specs.guest(String.format(Locale.ROOT, "lq-bench-%05d", i), node.backend)).build());
                    int done = ids.size() + 1;
                    ids.add(vm.getId());
                    if (done % 1000 == 0) System.out.printf(Locale.ROOT, "  created %d VMs in %.1f s%n", done,
                        (System.nanoTime() - t0) / 1e9);
                } catch (RuntimeException e) {
                    failure.compareAndSet(null, e);
                }
            }
        }));
        pool.shutdown();
        for (Future<?> f : tasks) f.get();
        if (failure.get() != null) throw new IllegalStateException("CreateVM failed", failure.get());
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "setup: %d VMs created through CreateVM (%d client threads) in %.1f s (%.0f creates/s)%n",
            count, CREATE_THREADS, seconds, count / seconds);
        return new ArrayList<>(ids);
    }

    private static void listVms(BenchNode node, int created) throws Exception {
        NodeDaemonServiceBlockingStub stub = node.stub();
        ListVMsResponse first = stub.listVMs(ListVMsRequest.getDefaultInstance());
        long ours = first.getVmsList().stream().filter(v -> v.getName().startsWith("lq-bench-")).count();
        if (ours != created) throw new IllegalStateException("ListVMs shows " + ours + " of the " + created + " VMs created");
        int total = first.getVmsCount();
        System.out.printf(Locale.ROOT, "ListVMs: %d VMs (%d created + %d the test driver brings), reply %.1f MiB%n",
            total, created, total - created, first.getSerializedSize() / 1048576.0);
        Stats grpc = new Stats();
        Stats inProcess = new Stats();
        ListVMsRequest basicView = ListVMsRequest.newBuilder().setView(io.limiquantix.node.rpc.v1.VmView.VM_VIEW_BASIC).build();
        Stats basic = new Stats();
        Stats basicCpu = new Stats();
        for (int i = 0; i < 10; i++) {
            stub.listVMs(ListVMsRequest.getDefaultInstance());
            stub.listVMs(basicView);
            node.listVmsInProcess();
        }
        // Interleaved, so that whatever else the shared machine does falls on both alike.
        Stats grpcCpu = new Stats();
        Stats inProcessCpu = new Stats();
        for (int i = 0; i < SAMPLES; i++) {
            long c0 = cpuNanos();
            long t0 = System.nanoTime();
            int n = stub.listVMs(ListVMsRequest.getDefaultInstance()).getVmsCount();
            long t1 = System.nanoTime();
            long c1 = cpuNanos();
            int m = node.listVmsInProcess();
            long t2 = System.nanoTime();
            long c2 = cpuNanos();
            int k = stub.listVMs(basicView).getVmsCount();
            basic.add(System.nanoTime() - t2);
            basicCpu.add(cpuNanos() - c2);
            if (n != total || m != total || k != total) throw new IllegalStateException("listing changed size: " + n + ", " + m + ", " + k);
            grpc.add(t1 - t0);
            inProcess.add(t2 - t1);
            grpcCpu.add(c1 - c0);
            inProcessCpu.add(c2 - c1);
        }
        // Where a full reply's time goes besides the node: protobuf alone on the very reply, in this JVM.
        byte[] wire = first.toByteArray();
        Stats parse = new Stats();
        Stats write = new Stats();
        for (int i = 0; i < SAMPLES + 10; i++) {
            long t0 = System.nanoTime();
            ListVMsResponse parsed = ListVMsResponse.parseFrom(wire);
            long t1 = System.nanoTime();
            parsed.getSerializedSize(); // the node's kept messages have their sizes memoized already
            long t2 = System.nanoTime();
            parsed.writeTo(java.io.OutputStream.nullOutputStream());
            long t3 = System.nanoTime();
            if (i >= 10) {
                parse.add(t1 - t0);
                write.add(t3 - t2);
            }
        }
        System.out.printf(Locale.ROOT, "  protobuf alone on the full reply (%.1f MiB): parse p50 %.1f ms, write p50 %.1f ms%n",
            wire.length / 1048576.0, parse.percentileMs(50), write.percentileMs(50));
        Stats directCpu = new Stats();
        Stats direct = DirectLibvirt.testDriverListing(total, SAMPLES, directCpu);
        System.out.printf(Locale.ROOT, "  gRPC ListVMs                      p50 %7.1f ms  p99 %7.1f ms  (%d calls; CPU per call, client+node, p50 %.1f ms)%n",
            grpc.percentileMs(50), grpc.percentileMs(99), grpc.count(), grpcCpu.percentileMs(50));
        System.out.printf(Locale.ROOT, "  gRPC ListVMs, BASIC view (no specs) p50 %7.1f ms  p99 %7.1f ms  (reply %.1f MiB; CPU per call p50 %.1f ms)%n",
            basic.percentileMs(50), basic.percentileMs(99), stub.listVMs(basicView).getSerializedSize() / 1048576.0, basicCpu.percentileMs(50));
        System.out.printf(Locale.ROOT, "  NodeService.listVms in-process    p50 %7.1f ms  p99 %7.1f ms  (CPU per call p50 %.1f ms)%n",
            inProcess.percentileMs(50), inProcess.percentileMs(99), inProcessCpu.percentileMs(50));
        System.out.printf(Locale.ROOT, "  libvirt-java direct (test driver) p50 %7.1f ms  p99 %7.1f ms  (CPU per call p50 %.1f ms; listAllDomains, then getInfo/UUID/name of each; own test:///default connection)%n",
            direct.percentileMs(50), direct.percentileMs(99), directCpu.percentileMs(50));
        double p50 = grpc.percentileMs(50);
        double p99 = grpc.percentileMs(99);
        RESULTS.add(new Result("ListVMs " + total + " VMs over gRPC, p50", ms(p50), "<= 50 ms", p50 <= 50,
            "NodeService.listVms in-process p50 " + ms(inProcess.percentileMs(50)) + "; libvirt-java direct p50 "
                + ms(direct.percentileMs(50)),
            ratio(p50 / inProcess.percentileMs(50)) + " vs in-process, " + ratio(p50 / direct.percentileMs(50)) + " vs libvirt"));
        double b50 = basic.percentileMs(50);
        RESULTS.add(new Result("ListVMs " + total + " VMs over gRPC, BASIC view, p50", ms(b50), "<= 50 ms", b50 <= 50,
            "NodeService.listVms in-process p50 " + ms(inProcess.percentileMs(50)) + "; libvirt-java direct p50 "
                + ms(direct.percentileMs(50)),
            ratio(b50 / inProcess.percentileMs(50)) + " vs in-process, " + ratio(b50 / direct.percentileMs(50)) + " vs libvirt"));
        RESULTS.add(new Result("ListVMs " + total + " VMs over gRPC, p99", ms(p99), "<= 50 ms", p99 <= 50,
            "NodeService.listVms in-process p99 " + ms(inProcess.percentileMs(99)) + "; libvirt-java direct p99 "
                + ms(direct.percentileMs(99)),
            ratio(p99 / inProcess.percentileMs(99)) + " vs in-process, " + ratio(p99 / direct.percentileMs(99)) + " vs libvirt"));
    }

    private static void status(BenchNode node, List<String> ids) throws Exception {
        int n = ids.size();
        // One client thread first: the latency of a single call, each way.
        Stats one = new Stats();
        Stats oneInProcess = new Stats();
        NodeDaemonServiceBlockingStub single = node.stub();
        for (int i = 0; i < 200 + SAMPLES * 4; i++) {
            long t0 = System.nanoTime();
            single.getVM(VmRequest.newBuilder().setVm(ids.get(i % n)).build());
            long t1 = System.nanoTime();
            node.getVmInProcess(ids.get(i % n));
            long t2 = System.nanoTime();
            if (i >= 200) {
                one.add(t1 - t0);
                oneInProcess.add(t2 - t1);
            }
        }
        System.out.printf(Locale.ROOT, "  GetVM latency, one client thread: gRPC p50 %.2f ms p99 %.2f ms; in-process p50 %.3f ms p99 %.3f ms%n",
            one.percentileMs(50), one.percentileMs(99), oneInProcess.percentileMs(50), oneInProcess.percentileMs(99));
        // One channel (one HTTP/2 connection), as a control plane would hold to a node.
        ManagedChannel channel = node.sharedChannel();
        double grpc = throughput("gRPC GetVM", THREADS, k -> {
            NodeDaemonServiceBlockingStub stub = node.stub(channel);
            return i -> {
                Vm vm = stub.getVM(VmRequest.newBuilder().setVm(ids.get(i % n)).build());
                if (vm.getState() == io.limiquantix.node.rpc.v1.VmState.VM_STATE_UNKNOWN)
                    throw new IllegalStateException("GetVM answered UNKNOWN: " + vm.getStateReason());
            };
        });
        double inProcess = throughput("NodeService.getVm in-process", THREADS, k -> i -> node.getVmInProcess(ids.get(i % n)));
        RESULTS.add(new Result("GetVM (status) over gRPC, " + THREADS + " client threads", String.format(Locale.ROOT, "%.0f calls/s", grpc),
            ">= 5000 calls/s", grpc >= 5000,
            String.format(Locale.ROOT, "NodeService.getVm in-process %.0f calls/s", inProcess), ratio(grpc / inProcess)));
    }

    interface Worker {
        IntConsumer make(int thread);
    }

    /** Calls/s of {@code threads} threads looping over {@code worker}, after a warm-up, for {@link #SECONDS}. */
    private static double throughput(String what, int threads, Worker worker) throws Exception {
        LongAdder calls = new LongAdder();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> all = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            IntConsumer call = worker.make(t);
            int offset = t * 7919;
            Thread th = new Thread(() -> {
                int i = offset;
                try {
                    while (!stop.get()) {
                        call.accept(i++);
                        calls.increment();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "bench-" + t);
            all.add(th);
        }
        all.forEach(Thread::start);
        Thread.sleep(3000);
        long c0 = calls.sum();
        long t0 = System.nanoTime();
        long cpu0 = cpuNanos();
        Thread.sleep(SECONDS * 1000L);
        long c1 = calls.sum();
        long t1 = System.nanoTime();
        long cpu1 = cpuNanos();
        stop.set(true);
        for (Thread th : all) th.join(60_000);
        if (failure.get() != null) throw new IllegalStateException(what + " failed", failure.get());
        double rate = (c1 - c0) / ((t1 - t0) / 1e9);
        double cpuPerCall = (cpu1 - cpu0) / 1e3 / Math.max(1, c1 - c0);
        System.out.printf(Locale.ROOT, "  %-32s %8.0f calls/s  (%d threads, %d s after 3 s warm-up; CPU per call, client+node, %.1f us"
            + " -> %.0f calls/s if 2 cores were ours alone)%n", what, rate, threads, SECONDS, cpuPerCall, 2e6 / cpuPerCall);
        return rate;
    }

    /** CPU time of this whole JVM (node and client alike), in nanoseconds. */
    static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
            .getProcessCpuTime();
    }

    // --- output ---------------------------------------------------------------------------------------------

    static String ms(double v) {
        return String.format(Locale.ROOT, "%.1f ms", v);
    }

    static String ratio(double v) {
        return String.format(Locale.ROOT, "%.2fx", v);
    }

    private static void summary() {
        System.out.println();
        System.out.println("=== summary ===");
        for (Result r : RESULTS) {
            System.out.printf(Locale.ROOT, "%-48s %16s  target %-16s %-6s ratio %s%n", r.name(), r.figure(), r.target(),
                r.met() ? "MET" : "MISSED", r.ratio());
            System.out.printf(Locale.ROOT, "%-48s baseline: %s%n", "", r.baseline());
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    static boolean isNotFound(StatusRuntimeException e) {
        return e.getStatus().getCode() == io.grpc.Status.Code.NOT_FOUND;
    }
}
