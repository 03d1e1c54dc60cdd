package io.limiquantix.node.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.BackendHealth;
import io.limiquantix.node.api.BackendUnavailableException;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.runtime.VmRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backend registers before it has connected (the libvirt bundle connects in the background, and a
 * swapped-in revision of it does the same). Calls for its VMs must wait for it to arrive, as they wait for
 * an absent backend, instead of failing with "not connected".
 */
class BackendArrivalTest {
    @TempDir
    Path tmp;
    NodeServiceImpl node;
    VmLedger ledger;

    NodeServiceImpl start(Duration wait) throws Exception {
        Path images = Files.createDirectories(tmp.resolve("images"));
        ledger = VmLedger.open(tmp.resolve("data"));
        node = new NodeServiceImpl(new NodeConfig(tmp.resolve("data"), List.of(images), wait, 4), ledger, Duration.ofSeconds(2));
        return node;
    }

    @AfterEach
    void stop() {
        if (node != null) node.close();
        if (ledger != null) ledger.close();
    }

    private VmRecord vmOn(InMemoryTestBackend b) throws Exception {
        node.registry().add("qemu", "memory", 1, 1, b);
        node.reconciliation("qemu").get(10, TimeUnit.SECONDS);
        return node.createVm(VmSpec.builder("web").vcpus(1).memoryMiB(128).build());
    }

    @Test
    void aCallForAVmWhoseBackendIsStillConnectingWaitsUntilItAnswersHealthy() throws Exception {
        start(Duration.ofSeconds(20));
        InMemoryTestBackend old = InMemoryTestBackend.linux();
        VmRecord vm = vmOn(old);
        node.registry().remove(1);

        // The new revision: registered at once, connected a little later.
        InMemoryTestBackend fresh = InMemoryTestBackend.linux();
        fresh.vms.putAll(old.vms);
        fresh.health = BackendHealth.unavailable("connecting to qemu:///system");
        node.registry().add("qemu", "memory", 1, 2, fresh);
        CompletableFuture<Void> call = CompletableFuture.runAsync(() -> node.startVm("web"));
        Thread.sleep(300);
        assertFalse(call.isDone(), "the call waits for the backend to connect");
        assertFalse(fresh.calls.contains("start " + vm.id()), "and has not reached it yet");
        fresh.health = BackendHealth.healthy("connected");
        call.get(10, TimeUnit.SECONDS);
        assertEquals(VmState.RUNNING, fresh.vms.get(vm.id()).state());
    }

    @Test
    void aBackendThatNeverConnectsGetsTheCallAfterTheWaitAndItsOwnErrorComesBack() throws Exception {
        start(Duration.ofMillis(400));
        InMemoryTestBackend b = InMemoryTestBackend.linux();
        VmRecord vm = vmOn(b);
        node.registry().remove(1);
        InMemoryTestBackend down = InMemoryTestBackend.linux();
        down.vms.putAll(b.vms);
        down.health = BackendHealth.unavailable("cannot connect to qemu:///system");
        down.healthFailure = null;
        node.registry().add("qemu", "memory", 1, 3, down);
        // The double does not check its health before operating; the point is that the call went ahead.
        node.startVm("web");
        assertTrue(down.calls.contains("start " + vm.id()));
    }

    @Test
    void aBackendThatLeavesAgainBeforeArrivingIsWaitedForUnderItsNextRegistration() throws Exception {
        start(Duration.ofSeconds(20));
        InMemoryTestBackend b = InMemoryTestBackend.linux();
        vmOn(b);
        node.registry().remove(1);
        InMemoryTestBackend flaky = InMemoryTestBackend.linux();
        flaky.health = BackendHealth.unavailable("connecting");
        node.registry().add("qemu", "memory", 1, 4, flaky);
        CompletableFuture<Backend> parked = node.registry().whenReady("qemu", Duration.ofSeconds(20));
        Thread.sleep(100);
        node.registry().remove(4);
        InMemoryTestBackend good = InMemoryTestBackend.linux();
        node.registry().add("qemu", "memory", 1, 5, good);
        assertSame(good, parked.get(10, TimeUnit.SECONDS).hypervisor());
    }

    @Test
    void aCallThatMeetsItsBackendLeavingIsServedByTheNextRegistration() throws Exception {
        start(Duration.ofSeconds(20));
        InMemoryTestBackend real = InMemoryTestBackend.linux();
        // The departing registration: unregistered while the call runs, then answers "closed" (as the libvirt
        // backend does for a call that arrives after its bundle began to stop).
        io.limiquantix.node.api.Hypervisor leaving = (io.limiquantix.node.api.Hypervisor) java.lang.reflect.Proxy.newProxyInstance(
            getClass().getClassLoader(), new Class<?>[] {io.limiquantix.node.api.Hypervisor.class}, (proxy, m, args) -> {
                if (m.getName().equals("startVm")) {
                    node.registry().remove(1);
                    throw new BackendUnavailableException("backend qemu: start: not connected (backend closed)");
                }
                try {
                    return m.invoke(real, args);
                } catch (java.lang.reflect.InvocationTargetException e) {
                    throw e.getCause();
                }
            });
        node.registry().add("qemu", "memory", 1, 1, leaving);
        node.reconciliation("qemu").get(10, TimeUnit.SECONDS);
        VmRecord vm = node.createVm(VmSpec.builder("web").vcpus(1).memoryMiB(128).build());
        CompletableFuture<Void> call = CompletableFuture.runAsync(() -> node.startVm("web"));
        Await.until(() -> node.registry().find("qemu").isEmpty());
        Thread.sleep(100);
        assertFalse(call.isDone(), "parked again, not failed");
        node.registry().add("qemu", "memory", 1, 2, real);
        call.get(10, TimeUnit.SECONDS);
        assertEquals(VmState.RUNNING, real.vms.get(vm.id()).state());
        assertEquals(null, node.getVm("web").pendingOperation());
    }

    @Test
    void aCallMeetingALeavingBackendThatNeverReturnsFailsAfterTheWait() throws Exception {
        start(Duration.ofMillis(300));
        InMemoryTestBackend real = InMemoryTestBackend.linux();
        io.limiquantix.node.api.Hypervisor leaving = (io.limiquantix.node.api.Hypervisor) java.lang.reflect.Proxy.newProxyInstance(
            getClass().getClassLoader(), new Class<?>[] {io.limiquantix.node.api.Hypervisor.class}, (proxy, m, args) -> {
                if (m.getName().equals("startVm")) {
                    node.registry().remove(1);
                    throw new BackendUnavailableException("backend closed");
                }
                try {
                    return m.invoke(real, args);
                } catch (java.lang.reflect.InvocationTargetException e) {
                    throw e.getCause();
                }
            });
        node.registry().add("qemu", "memory", 1, 1, leaving);
        node.reconciliation("qemu").get(10, TimeUnit.SECONDS);
        node.createVm(VmSpec.builder("web").vcpus(1).memoryMiB(128).build());
        assertThrows(BackendUnavailableException.class, () -> node.startVm("web"));
    }

    /** Polls a condition (bounded). */
    static final class Await {
        static void until(java.util.function.BooleanSupplier c) throws InterruptedException {
            long deadline = System.currentTimeMillis() + 10_000;
            while (!c.getAsBoolean()) {
                if (System.currentTimeMillis() > deadline) throw new AssertionError("condition not met within 10 s");
                Thread.sleep(10);
            }
        }
    }

    @Test
    void anAbsentBackendStillFailsAfterTheWaitNamingIt() throws Exception {
        start(Duration.ofMillis(200));
        vmOn(InMemoryTestBackend.linux());
        node.registry().remove(1);
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> node.startVm("web"));
        assertTrue(e.getMessage().contains("'qemu'"), e.getMessage());
    }
}
