package io.limiquantix.node.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.BackendUnavailableException;
import io.limiquantix.node.api.ConflictException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class VmOperationLanesTest {
    private final VmOperationLanes lanes = new VmOperationLanes(4);

    @AfterEach
    void close() {
        lanes.close();
    }

    @Test
    void operationsOnOneVmRunOneAtATimeInSubmissionOrder() {
        List<Integer> order = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger running = new AtomicInteger();
        AtomicInteger maxRunning = new AtomicInteger();
        List<CompletableFuture<Integer>> results = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            int n = i;
            results.add(lanes.submitBlocking("vm-1", () -> {
                maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
                order.add(n);
                Thread.yield();
                running.decrementAndGet();
                return n;
            }));
        }
        for (int i = 0; i < 200; i++) assertEquals(i, VmOperationLanes.await(results.get(i)));
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < 200; i++) expected.add(i);
        assertEquals(expected, order);
        assertEquals(1, maxRunning.get());
    }

    @Test
    void submissionsFromManyThreadsKeepEachThreadsOrder() throws Exception {
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int tn = t;
            threads.add(new Thread(() -> {
                for (int i = 0; i < 50; i++) {
                    int n = i;
                    lanes.submitBlocking("vm", () -> seen.add(tn + ":" + n));
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) t.join();
        VmOperationLanes.await(lanes.submitBlocking("vm", () -> null));
        assertEquals(200, seen.size());
        for (int t = 0; t < 4; t++) {
            String prefix = t + ":";
            List<Integer> mine = seen.stream().filter(s -> s.startsWith(prefix)).map(s -> Integer.parseInt(s.substring(2))).toList();
            for (int i = 0; i < 50; i++) assertEquals(i, mine.get(i));
        }
    }

    @Test
    void differentVmsRunConcurrently() throws Exception {
        CountDownLatch bothRunning = new CountDownLatch(2);
        CompletableFuture<Boolean> a = lanes.submitBlocking("vm-a", () -> {
            bothRunning.countDown();
            return bothRunning.await(10, TimeUnit.SECONDS);
        });
        CompletableFuture<Boolean> b = lanes.submitBlocking("vm-b", () -> {
            bothRunning.countDown();
            return bothRunning.await(10, TimeUnit.SECONDS);
        });
        assertTrue(VmOperationLanes.await(a), "vm-a's operation saw vm-b's running at the same time");
        assertTrue(VmOperationLanes.await(b));
    }

    @Test
    void idleLanesAreRemoved() throws Exception {
        for (int i = 0; i < 1000; i++) VmOperationLanes.await(lanes.submitBlocking("vm-" + i, () -> null));
        assertEquals(0, lanes.activeLanes());
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Object> busy = lanes.submitBlocking("busy", () -> release.await(10, TimeUnit.SECONDS));
        assertEquals(1, lanes.activeLanes());
        release.countDown();
        VmOperationLanes.await(busy);
        assertEquals(0, lanes.activeLanes());
    }

    @Test
    void typedExceptionsAreRethrownUnwrappedAndTheLaneMovesOn() {
        ConflictException thrown = new ConflictException("running");
        CompletableFuture<Object> failing = lanes.submitBlocking("vm", () -> {
            throw thrown;
        });
        assertSame(thrown, assertThrows(ConflictException.class, () -> VmOperationLanes.await(failing)));
        assertEquals("next", VmOperationLanes.await(lanes.submitBlocking("vm", () -> "next")));
    }

    @Test
    void aWaitingStepHoldsItsLaneButNoThread() {
        VmOperationLanes single = new VmOperationLanes(1);
        try {
            CompletableFuture<String> gate = new CompletableFuture<>();
            CompletableFuture<String> waiting = single.submit("vm-a", () -> gate);
            CompletableFuture<String> behind = single.submitBlocking("vm-a", () -> "after");
            // vm-b runs on the only thread while vm-a's first step is still waiting.
            assertEquals("b", VmOperationLanes.await(single.submitBlocking("vm-b", () -> "b")));
            assertTrue(!behind.isDone(), "vm-a's second operation waits for its first");
            gate.complete("a");
            assertEquals("a", VmOperationLanes.await(waiting));
            assertEquals("after", VmOperationLanes.await(behind));
        } finally {
            single.close();
        }
    }

    @Test
    void aCallForAnAbsentBackendWaitsForItAndWakesOnArrival() throws Exception {
        BoundedCalls calls = new BoundedCalls(Duration.ofSeconds(5));
        BackendRegistry registry = new BackendRegistry(calls);
        try {
            CompletableFuture<String> call = lanes.submit("vm", () -> registry.whenPresent("qemu", Duration.ofSeconds(30))
                .thenApply(Backend::name));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (registry.parkedCalls("qemu") == 0 && System.nanoTime() < deadline) Thread.onSpinWait();
            assertEquals(1, registry.parkedCalls("qemu"), "the call is parked, not failed");
            assertTrue(!call.isDone());
            registry.add("qemu", "memory", 0, 7, InMemoryTestBackend.linux());
            assertEquals("qemu", call.get(10, TimeUnit.SECONDS));
            assertEquals(0, registry.parkedCalls("qemu"));
        } finally {
            calls.close();
        }
    }

    @Test
    void aCallForAnAbsentBackendFailsAfterTheConfiguredWaitNamingIt() {
        BoundedCalls calls = new BoundedCalls(Duration.ofSeconds(5));
        BackendRegistry registry = new BackendRegistry(calls);
        try {
            CompletableFuture<Backend> call = lanes.submit("vm", () -> registry.whenPresent("qemu", Duration.ofMillis(200)));
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> VmOperationLanes.await(call));
            assertTrue(e.getMessage().contains("'qemu'"), e.getMessage());
            assertEquals(0, registry.parkedCalls("qemu"), "a timed-out wait leaves nothing parked");
            assertEquals(0, lanes.activeLanes());
        } finally {
            calls.close();
        }
    }
}
