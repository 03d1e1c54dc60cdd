package io.limiquantix.node.systest;

import static io.limiquantix.node.systest.NodeProcess.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * kill -9 of the real node while about 100 create/start/stop/delete operations run against its qemu:///system
 * (TCG) and test:///default backends (issue #10). After a restart on the same data directory:
 * <ul>
 * <li>the guests that were running keep running: same QEMU process, node reports RUNNING;</li>
 * <li>ledger and libvirt agree on this test's qemu VMs: every domain is in the ledger with its UUID and was not
 * "adopted" (the ledger never lost it), no duplicate ids or names, and a ledger entry without a domain is
 * MISSING with its interrupted operation named (pending create/delete) — never silently dropped;</li>
 * <li>every operation the client saw succeed before the kill holds after it; operations in flight at the kill
 * are either settled or surfaced as pending;</li>
 * <li>test:///default lives inside the killed process, so its VMs are gone with it: the node must report each
 * VM it had created and not deleted as MISSING rather than forget it.</li>
 * </ul>
 * Names carry a random prefix; everything is removed at the end (through the node, then virsh as a backstop).
 */
class CrashRecoveryTest {
    private final String prefix = "lq10c-" + UUID.randomUUID().toString().substring(0, 6) + "-";

    /** What the client saw of one operation. */
    enum Seen { OK, REFUSED, IN_FLIGHT, NOT_SENT }

    record Op(String vm, String backend, String what, Seen seen, String detail, long seq) {
    }

    private final List<Op> ops = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger seq = new AtomicInteger();
    private final AtomicBoolean killed = new AtomicBoolean();

    private Op run(NodeProcess node, String vm, String backend, String what, String method, String json) {
        long n = seq.incrementAndGet();
        Op op;
        if (killed.get()) {
            op = new Op(vm, backend, what, Seen.NOT_SENT, "after the kill", n);
        } else {
            try {
                NodeProcess.Reply r = node.call(method, json, "Bearer " + node.token(), Duration.ofMinutes(4));
                op = new Op(vm, backend, what, r.ok() ? Seen.OK : Seen.REFUSED, r.ok() ? "" : r.status() + " " + r.body(), n);
            } catch (ConnectException e) {
                op = new Op(vm, backend, what, Seen.NOT_SENT, e.toString(), n);
            } catch (IOException e) {
                op = new Op(vm, backend, what, Seen.IN_FLIGHT, e.toString(), n);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                op = new Op(vm, backend, what, Seen.IN_FLIGHT, e.toString(), n);
            }
        }
        ops.add(op);
        return op;
    }

    private static int tasksCount() {
        return 50;
    }

    private static String vmReq(String vm) {
        return "{\"vm\":\"" + vm + "\"}";
    }

    @Test
    void killNineUnderLoadLosesNothingAndKeepsGuestsRunning() throws Exception {
        NodeProcess.requireOrSkip(Virsh.available(), "a libvirtd answering on qemu:///system");
        NodeProcess.requireOrSkip(Files.exists(Path.of("/var/lib/limiquantix/test-guest/vmlinuz")),
            "the test guest in /var/lib/limiquantix/test-guest (run/lib/guest-payload.sh)");
        Path home = Files.createTempDirectory("lq-crash-");
        NodeProcess node = new NodeProcess(home);
        try {
            long t0 = System.nanoTime();
            node.start();
            System.out.printf("node ready in %.1f s (pid %d, gRPC %d, JSON %d, data %s)%n",
                (System.nanoTime() - t0) / 1e9, node.pid(), node.grpcPort, node.httpPort, node.data);

            // Two real TCG guests running before the crash.
            List<String> running = List.of(prefix + "run-0", prefix + "run-1");
            for (String g : running) {
                NodeProcess.Reply c = node.call("CreateVM", NodeProcess.guestSpec(g, "qemu"));
                assertTrue(c.ok(), c.body());
                NodeProcess.Reply s = node.call("StartVM", vmReq(g));
                assertTrue(s.ok(), s.body());
            }
            Map<String, Long> pids = new HashMap<>();
            for (String g : running) {
                NodeProcess.waitFor(Duration.ofMinutes(2), () -> state(g).equals("running"), () -> g + " did not start");
                pids.put(g, Virsh.qemuPid(g));
                assertTrue(pids.get(g) > 0, "QEMU pid of " + g);
            }

            // 100 operations in 50 tasks, all started at once (one thread each); kill -9 once a quarter have completed.
            ExecutorService pool = Executors.newFixedThreadPool(tasksCount());
            AtomicInteger done = new AtomicInteger();
            List<Runnable> tasks = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String vm = prefix + "qd-" + i;
                tasks.add(() -> {
                    if (run(node, vm, "qemu", "create", "CreateVM", NodeProcess.guestSpec(vm, "qemu")).seen() == Seen.OK) done.incrementAndGet();
                    if (run(node, vm, "qemu", "delete", "DeleteVM", vmReq(vm)).seen() == Seen.OK) done.incrementAndGet();
                });
            }
            for (int i = 0; i < 20; i++) {
                String vm = prefix + "qc-" + i;
                tasks.add(() -> {
                    if (run(node, vm, "qemu", "create", "CreateVM", NodeProcess.guestSpec(vm, "qemu")).seen() == Seen.OK) done.incrementAndGet();
                });
            }
            for (int i = 0; i < 10; i++) {
                String vm = prefix + "t-" + i;
                tasks.add(() -> {
                    for (String[] step : new String[][] {{"create", "CreateVM", NodeProcess.guestSpec(vm, "test")},
                            {"start", "StartVM", vmReq(vm)}, {"stop", "StopVM", "{\"vm\":\"" + vm + "\",\"timeoutSeconds\":30}"},
                            {"delete", "DeleteVM", vmReq(vm)}}) {
                        if (run(node, vm, "test", step[0], step[1], step[2]).seen() == Seen.OK) done.incrementAndGet();
                        else break;
                    }
                });
            }
            Collections.shuffle(tasks, new java.util.Random(42));
            tasks.forEach(pool::submit);
            NodeProcess.waitFor(Duration.ofMinutes(5), () -> done.get() >= 25, () -> "only " + done.get() + " operations completed");
            killed.set(true);
            long killedPid = node.pid();
            node.kill9();
            long killedAt = System.nanoTime();
            pool.shutdown();
            assertTrue(pool.awaitTermination(5, TimeUnit.MINUTES));
            Map<Seen, Long> tally = ops.stream().collect(Collectors.groupingBy(Op::seen, TreeMap::new, Collectors.counting()));
            System.out.println("killed -9 node pid " + killedPid + " with operations: " + tally + " (" + ops.size() + " in all)");
            ops.stream().filter(o -> o.seen() == Seen.IN_FLIGHT).forEach(o -> System.out.println("  in flight at the kill: " + o));
            ops.stream().filter(o -> o.seen() == Seen.REFUSED).forEach(o -> System.out.println("  refused: " + o));
            assertTrue(ops.size() >= 60, "operations issued: " + ops.size());
            assertTrue(ops.stream().filter(o -> o.seen() == Seen.IN_FLIGHT).count() >= 5, "too few operations were in flight at the kill");

            // The guests did not notice.
            for (String g : running) {
                assertEquals("running", state(g), g + " after the node died");
                assertEquals(pids.get(g), Virsh.qemuPid(g), g + " has the same QEMU process");
            }

            node.start();
            System.out.printf("restarted: ready %.1f s after the kill%n", (System.nanoTime() - killedAt) / 1e9);
            // Reconciliation: wait until none of this test's VMs is still in an unsettled state.
            NodeProcess.waitFor(Duration.ofMinutes(3), () -> mine(node).stream().noneMatch(v ->
                Set.of("VM_STATE_UNKNOWN", "VM_STATE_BACKEND_AWAY", "VM_STATE_UNSPECIFIED", "").contains(str(v, "state"))),
                () -> "reconciliation did not settle: " + mine(node));
            List<JsonObject> vms = mine(node);

            // No duplicates.
            assertEquals(vms.size(), vms.stream().map(v -> str(v, "id")).distinct().count(), "duplicate ids: " + vms);
            assertEquals(vms.size(), vms.stream().map(v -> str(v, "name")).distinct().count(), "duplicate names: " + vms);
            Map<String, JsonObject> byName = vms.stream().collect(Collectors.toMap(v -> str(v, "name"), v -> v));

            // Running guests kept running, and the node says so.
            for (String g : running) {
                assertEquals("VM_STATE_RUNNING", str(byName.get(g), "state"), g + ": " + byName.get(g));
                assertEquals(pids.get(g), Virsh.qemuPid(g), g + " still the same QEMU process after the restart");
            }

            // Ledger and libvirt agree on the qemu VMs.
            Set<String> inLibvirt = new HashSet<>(Virsh.names(prefix));
            List<String> reportedPending = new ArrayList<>();
            for (String name : inLibvirt) {
                JsonObject v = byName.get(name);
                assertTrue(v != null, "libvirt domain " + name + " is not in the ledger (orphan)");
                assertEquals("qemu", str(v, "backend"));
                assertFalse(v.has("adopted") && v.get("adopted").getAsBoolean(), name + " was re-adopted: the ledger had lost it");
                assertEquals(Virsh.uuid(name), str(v, "id"), name + ": ledger id and libvirt UUID");
                String expect = Virsh.state(name).equals("running") ? "VM_STATE_RUNNING" : "VM_STATE_STOPPED";
                assertEquals(expect, str(v, "state"), name + ": " + v);
            }
            for (JsonObject v : vms) {
                if (!str(v, "backend").equals("qemu") || inLibvirt.contains(str(v, "name"))) continue;
                assertEquals("VM_STATE_MISSING", str(v, "state"), "ledger entry without a domain: " + v);
                assertFalse(str(v, "pendingOperation").isEmpty(),
                    "a ledger entry without a domain must name the operation the crash interrupted: " + v);
                reportedPending.add(str(v, "name") + " (" + str(v, "pendingOperation") + ")");
            }

            // What the client saw succeed holds; in-flight operations are settled or surfaced.
            Map<String, Op> lastSent = new HashMap<>();
            for (Op o : ops) if (o.seen() != Seen.NOT_SENT) lastSent.merge(o.vm(), o, (a, b) -> a.seq() > b.seq() ? a : b);
            int settled = 0, surfaced = 0;
            for (Op last : lastSent.values()) {
                JsonObject v = byName.get(last.vm());
                boolean present = v != null;
                boolean pending = present && !str(v, "pendingOperation").isEmpty();
                if (last.seen() == Seen.OK) {
                    if (last.what().equals("delete")) {
                        assertFalse(present, last.vm() + " was deleted before the kill but is back: " + v);
                        if (last.backend().equals("qemu")) assertFalse(inLibvirt.contains(last.vm()), last.vm() + " still in libvirt");
                    } else {
                        assertTrue(present, last.vm() + " (" + last.what() + " succeeded before the kill) is lost");
                        if (last.backend().equals("qemu")) assertTrue(inLibvirt.contains(last.vm()), last.vm() + " not in libvirt");
                        else assertEquals("VM_STATE_MISSING", str(v, "state"),
                            last.vm() + ": test:///default died with the node; the VM must be reported missing: " + v);
                    }
                } else if (last.seen() == Seen.IN_FLIGHT) {
                    if (pending) surfaced++;
                    else settled++;
                    System.out.println("  in flight " + last.what() + " " + last.vm() + " -> "
                        + (present ? str(v, "state") + (pending ? ", pending " + str(v, "pendingOperation") : "") : "absent"));
                }
            }
            // Interrupted operations also reach event subscribers: each VM still marked pending at the restart
            // is announced as OPERATION_INTERRUPTED to a WatchEvents stream opened afterwards.
            Set<String> pendingIds = vms.stream().filter(v -> !str(v, "pendingOperation").isEmpty()).map(v -> str(v, "id"))
                .collect(Collectors.toSet());
            Set<String> announced = interruptedEvents(node, pendingIds);
            assertTrue(announced.containsAll(pendingIds), "pending " + pendingIds + " but OPERATION_INTERRUPTED only for " + announced);
            System.out.println("after the restart: " + vms.size() + " VMs of this test in the ledger, " + inLibvirt.size()
                + " in libvirt; entries surfaced as interrupted: " + reportedPending + "; in-flight operations settled "
                + settled + ", surfaced as pending " + surfaced + "; OPERATION_INTERRUPTED events for " + announced.size() + " VM(s)");
        } finally {
            cleanUp(node);
            Files.walk(home).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** Opens WatchEvents over gRPC and collects the ids of OPERATION_INTERRUPTED events until all {@code wanted} came (or 60 s). */
    private static Set<String> interruptedEvents(NodeProcess node, Set<String> wanted) throws Exception {
        Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
        io.grpc.ManagedChannel ch = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", node.grpcPort)
            .usePlaintext().build();
        try {
            io.grpc.Metadata auth = new io.grpc.Metadata();
            auth.put(io.grpc.Metadata.Key.of("authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER), "Bearer " + node.token());
            io.limiquantix.node.rpc.v1.NodeDaemonServiceGrpc.newStub(ch)
                .withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(auth))
                .watchEvents(io.limiquantix.node.rpc.v1.WatchEventsRequest.getDefaultInstance(), new io.grpc.stub.StreamObserver<>() {
                    @Override
                    public void onNext(io.limiquantix.node.rpc.v1.WatchEventsResponse r) {
                        if (r.hasEvent() && r.getEvent().getType() == io.limiquantix.node.rpc.v1.VmEvent.Type.TYPE_OPERATION_INTERRUPTED)
                            seen.add(r.getEvent().getVmId());
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!seen.containsAll(wanted) && System.nanoTime() < end) Thread.sleep(250);
            Thread.sleep(1000);
            return Set.copyOf(seen);
        } finally {
            ch.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    private String state(String name) {
        try {
            return Virsh.state(name);
        } catch (IOException e) {
            return "error " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private List<JsonObject> mine(NodeProcess node) {
        try {
            return node.vms().stream().filter(v -> str(v, "name").startsWith(prefix)).toList();
        } catch (IOException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    private void cleanUp(NodeProcess node) throws Exception {
        try {
            if (node.alive()) {
                for (JsonObject v : mine(node)) {
                    node.call("ForceStopVM", vmReq(str(v, "id")));
                    NodeProcess.Reply d = node.call("DeleteVM", vmReq(str(v, "id")));
                    if (!d.ok()) System.out.println("cleanup: DeleteVM " + str(v, "name") + " answered " + d.status() + " " + d.body());
                }
            }
        } finally {
            node.stop();
            Virsh.purge(prefix);
        }
    }
}
