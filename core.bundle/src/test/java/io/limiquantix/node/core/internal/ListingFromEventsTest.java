package io.limiquantix.node.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.limiquantix.node.api.VmEvent;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.VmStatus;
import io.limiquantix.node.runtime.VmRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ListVMs of a backend whose events cover every state change is answered from its last listing plus the VMs an
 * event (or an operation of the node) named since; of any other backend, from a listing each time.
 */
class ListingFromEventsTest {
    @TempDir
    Path tmp;
    NodeServiceImpl node;
    VmLedger ledger;
    InMemoryTestBackend backend;

    @BeforeEach
    void start() throws Exception {
        Path data = tmp.resolve("data");
        Path images = Files.createDirectories(tmp.resolve("images"));
        ledger = VmLedger.open(data);
        node = new NodeServiceImpl(new NodeConfig(data, List.of(images, Path.of(NodeServiceImplTest.IMAGES)),
            Duration.ofMillis(300), 4), ledger, Duration.ofSeconds(2));
    }

    @AfterEach
    void stop() {
        node.close();
        ledger.close();
    }

    private InMemoryTestBackend backend(boolean eventsCover) throws Exception {
        backend = InMemoryTestBackend.linux();
        backend.eventsCover = eventsCover;
        node.registry().add("mem", "memory", 10, 1, backend);
        node.reconciliation("mem").get(10, TimeUnit.SECONDS);
        return backend;
    }

    private Map<String, VmState> states() {
        return node.listVms().stream().collect(Collectors.toMap(VmRecord::name, VmRecord::state));
    }

    /** Changes a VM on the backend behind the node's back, as virsh would. */
    private void behindTheNode(VmRecord vm, VmState state) {
        VmStatus old = backend.vms.get(vm.id());
        backend.vms.put(vm.id(), new VmStatus(old.id(), old.name(), state, "", old.vcpus(), old.memoryMiB(), 0));
    }

    @Test
    void aSecondListingAsksTheBackendOnlyAboutWhatAnEventNamed() throws Exception {
        backend(true);
        VmRecord a = node.createVm(NodeServiceImplTest.vm("a").build());
        VmRecord b = node.createVm(NodeServiceImplTest.vm("b").build());
        node.listVms(); // the listing the next ones start from
        int listings = backend.listings.get();
        int statuses = backend.statusCalls.get();

        assertEquals(Map.of("a", VmState.STOPPED, "b", VmState.STOPPED), states());
        assertEquals(listings, backend.listings.get(), "answered from the last listing");
        assertEquals(statuses, backend.statusCalls.get(), "and no VM asked about one by one");

        behindTheNode(a, VmState.RUNNING);
        backend.emit(new VmEvent(VmEvent.Type.STARTED, a.id(), "a", "mem", "booted", null));
        assertEquals(Map.of("a", VmState.RUNNING, "b", VmState.STOPPED), states());
        assertEquals(listings, backend.listings.get());
        assertEquals(statuses + 1, backend.statusCalls.get(), "only the VM the event named");

        assertEquals(Map.of("a", VmState.RUNNING, "b", VmState.STOPPED), states());
        assertEquals(statuses + 1, backend.statusCalls.get(), "its answer is kept until the next event");
    }

    @Test
    void anOperationOfTheNodeShowsInTheNextListingWithoutAnyEvent() throws Exception {
        backend(true);
        VmRecord a = node.createVm(NodeServiceImplTest.vm("a").build());
        node.listVms();
        int listings = backend.listings.get();
        node.startVm(a.id()); // this backend publishes no event of its own
        assertEquals(VmState.RUNNING, states().get("a"));
        node.pauseVm(a.id());
        assertEquals(VmState.PAUSED, states().get("a"));
        assertEquals(listings, backend.listings.get());

        VmRecord c = node.createVm(NodeServiceImplTest.vm("c").build());
        assertEquals(VmState.STOPPED, states().get("c"), "a VM the last listing did not have is asked about");
        node.deleteVm(c.id());
        assertEquals(Map.of("a", VmState.PAUSED), states());
    }

    @Test
    void aBrokenEventStreamMakesTheNextListingAskForEverything() throws Exception {
        backend(true);
        VmRecord a = node.createVm(NodeServiceImplTest.vm("a").build());
        node.listVms();
        int listings = backend.listings.get();
        behindTheNode(a, VmState.CRASHED); // a change whose event was lost ...
        backend.emit(new VmEvent(VmEvent.Type.BACKEND_HEALTH, null, null, "mem", "events were dropped", null));
        assertEquals(VmState.CRASHED, states().get("a"));
        assertEquals(listings + 1, backend.listings.get());

        behindTheNode(a, VmState.STOPPED);
        backend.emit(new VmEvent(VmEvent.Type.BACKEND_DOWN, null, null, "mem", "connection lost", null));
        assertEquals(VmState.STOPPED, states().get("a"));
        assertEquals(listings + 2, backend.listings.get());
    }

    @Test
    void aBackendWithoutThatPromiseIsListedEveryTime() throws Exception {
        backend(false);
        VmRecord a = node.createVm(NodeServiceImplTest.vm("a").build());
        node.listVms();
        int listings = backend.listings.get();
        behindTheNode(a, VmState.RUNNING); // no event at all
        assertEquals(VmState.RUNNING, states().get("a"));
        assertEquals(VmState.RUNNING, states().get("a"));
        assertEquals(listings + 2, backend.listings.get());
    }

    @Test
    void manyVmsNamedSinceTheLastListingAreListedAgainRatherThanAskedOneByOne() throws Exception {
        backend(true);
        int n = 40;
        for (int i = 0; i < n; i++) node.createVm(NodeServiceImplTest.vm("vm" + i).build());
        node.listVms();
        int listings = backend.listings.get();
        int statuses = backend.statusCalls.get();
        for (VmRecord r : node.listVms()) backend.emit(new VmEvent(VmEvent.Type.STARTED, r.id(), r.name(), "mem", "", null));
        node.listVms();
        assertEquals(listings + 1, backend.listings.get(), "40 marked of 40 exceeds the budget of " + ListingCache.askBudget(n));
        assertEquals(statuses, backend.statusCalls.get());
    }

    @Test
    void getVmIsAnsweredFromTheKeptListingUntilAnEventNamesTheVm() throws Exception {
        backend(true);
        VmRecord a = node.createVm(NodeServiceImplTest.vm("a").build());
        node.listVms();
        int statuses = backend.statusCalls.get();
        assertEquals(VmState.STOPPED, node.getVm("a").state());
        assertEquals(VmState.STOPPED, node.getVm(a.id()).state());
        assertEquals(statuses, backend.statusCalls.get(), "no backend call for an unchanged VM");

        behindTheNode(a, VmState.PAUSED);
        backend.emit(new VmEvent(VmEvent.Type.PAUSED, a.id(), "a", "mem", "", null));
        assertEquals(VmState.PAUSED, node.getVm("a").state());
        assertEquals(statuses + 1, backend.statusCalls.get());
        assertEquals(VmState.PAUSED, node.getVm("a").state());
        assertEquals(statuses + 1, backend.statusCalls.get(), "the answer is kept until the next event");
    }

    @Test
    void getVmWithNothingKeptAsksAndStartsOneBackgroundListing() throws Exception {
        backend(true);
        node.createVm(NodeServiceImplTest.vm("a").build());
        int listings = backend.listings.get();
        int statuses = backend.statusCalls.get();
        assertEquals(VmState.STOPPED, node.getVm("a").state());
        assertEquals(statuses + 1, backend.statusCalls.get());
        ListingCache cache = node.registry().find("mem").orElseThrow().listing();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!cache.hasListing() && System.nanoTime() < deadline) Thread.sleep(10);
        assertEquals(listings + 1, backend.listings.get(), "one background listing");
        node.getVm("a");
        assertEquals(statuses + 1, backend.statusCalls.get(), "answered from it");
    }

    @Test
    void aBackendWithoutThatPromiseIsAskedOnEveryGetVm() throws Exception {
        backend(false);
        node.createVm(NodeServiceImplTest.vm("a").build());
        node.listVms();
        int statuses = backend.statusCalls.get();
        node.getVm("a");
        node.getVm("a");
        assertEquals(statuses + 2, backend.statusCalls.get());
    }
}
