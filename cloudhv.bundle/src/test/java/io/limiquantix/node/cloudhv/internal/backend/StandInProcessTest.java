package io.limiquantix.node.cloudhv.internal.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.limiquantix.node.api.Accelerator;
import io.limiquantix.node.api.BackendFailureException;
import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.HypervisorCapabilities;
import io.limiquantix.node.api.NicSpec;
import io.limiquantix.node.api.SnapshotSpec;
import io.limiquantix.node.api.UnsupportedFeatureException;
import io.limiquantix.node.api.VmEvent;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.storage.DiskSource;
import io.limiquantix.node.cloudhv.internal.chapi.ChApiClient;
import io.limiquantix.node.cloudhv.internal.chapi.ChRequests;
import io.limiquantix.node.cloudhv.internal.net.RecordingFakeTapDevices;
import io.limiquantix.node.cloudhv.internal.vmm.VmDirectory;
import io.limiquantix.node.cloudhv.standin.StandInExecutable;
import io.limiquantix.node.cloudhv.standin.StandInVmmMain;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backend against the stand-in VMM executable: separate processes, real Unix sockets, real pid files.
 * It checks what the backend does with processes (launch, supervision, crash detection, surviving its own
 * stop and re-adopting) and drives every operation through the stand-in, which validates each request and
 * response against the OpenAPI spec and logs violations beside the socket. No guest runs.
 */
class StandInProcessTest {
    private static ChApiClient api;
    @TempDir Path tmp;
    private final List<CloudHvHypervisor> opened = new ArrayList<>();
    private final LinkedBlockingQueue<VmEvent> events = new LinkedBlockingQueue<>();
    /** No kernel taps in these tests: the backend gets a recording test double that knows one bridge. */
    private final RecordingFakeTapDevices taps = new RecordingFakeTapDevices(Set.of("br-test"));

    @BeforeAll
    static void client() {
        api = new ChApiClient(Duration.ofSeconds(10));
    }

    @AfterAll
    static void closeClient() {
        api.close();
    }

    /** Ends the stand-in processes this test started (by their pid files), whatever the test left behind. */
    @AfterEach
    void killLeftovers() throws IOException {
        opened.forEach(CloudHvHypervisor::close);
        Path state = tmp.resolve("state");
        if (!Files.isDirectory(state)) return;
        try (var dirs = Files.list(state)) {
            for (Path d : dirs.toList()) {
                new VmDirectory(state, d.getFileName().toString()).readPid()
                    .ifPresent(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            }
        }
    }

    private CloudHvHypervisor backend(Path binary, boolean skipKvmCheck, Path devKvm) {
        CloudHvHypervisor hv = new CloudHvHypervisor("ch-test", new CloudHvHypervisor.Settings(binary, false, tmp.resolve("state"),
            skipKvmCheck, Duration.ofSeconds(60)), new CapabilityProbe.Host(devKvm, tmp.resolve("no-sys-module"), null, Path.of("/proc/meminfo"), "", null, taps), api);
        hv.open();
        hv.subscribe(events::add);
        opened.add(hv);
        return hv;
    }

    private CloudHvHypervisor standInBackend() {
        return backend(StandInExecutable.path(), true, tmp.resolve("no-kvm"));
    }

    private static VmSpec spec(String name) {
        return specBuilder(name).build();
    }

    private static VmSpec.Builder specBuilder(String name) {
        return VmSpec.builder(name).id(UUID.randomUUID().toString()).vcpus(2).memoryMiB(256)
            .kernelBoot("/var/lib/limiquantix/vmlinuz", "/var/lib/limiquantix/initramfs.gz", "console=ttyS0")
            .fileDisk("root", "/var/lib/limiquantix/root.img", DiskSource.Format.RAW);
    }

    private VmEvent awaitEvent(VmEvent.Type type, String vmId) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            VmEvent e = events.poll(200, TimeUnit.MILLISECONDS);
            if (e != null && e.type() == type && vmId.equals(e.vmId())) return e;
        }
        return fail("no " + type + " event for VM " + vmId + " within 30 s");
    }

    private static long pidOf(Path state, String vmId) {
        return new VmDirectory(state, vmId).readPid().orElseThrow(() -> new AssertionError("no pid file for VM " + vmId));
    }

    private List<String> violations(String vmId) throws IOException {
        Path f = new VmDirectory(tmp.resolve("state"), vmId).socket().resolveSibling(StandInVmmMain.VIOLATIONS);
        return Files.isRegularFile(f) ? Files.readAllLines(f) : List.of();
    }

    @Test
    void capableWithTheStandInAndHonestlyNotCapableWithoutTheBinaryOrKvm() {
        HypervisorCapabilities caps = standInBackend().capabilities();
        assertTrue(caps.capable(), caps.toString());
        assertEquals("v53.0-stand-in", caps.version());
        assertEquals(Accelerator.KVM, caps.accelerator());
        assertTrue(caps.has(Feature.PERFORMANCE_PROFILE));
        assertTrue(caps.has(Feature.LINUX_GUEST));
        assertFalse(caps.has(Feature.WINDOWS_GUEST));
        assertFalse(caps.has(Feature.USB_PASSTHROUGH));
        assertFalse(caps.has(Feature.NESTED_VIRTUALIZATION));

        HypervisorCapabilities noBinary = backend(tmp.resolve("no-such-cloud-hypervisor"), false, Path.of("/dev/kvm")).capabilities();
        assertFalse(noBinary.capable());
        assertTrue(noBinary.notCapableReason().contains("not installed"), noBinary.notCapableReason());
        assertTrue(noBinary.features().isEmpty());

        HypervisorCapabilities noKvm = backend(StandInExecutable.path(), false, tmp.resolve("no-kvm")).capabilities();
        assertFalse(noKvm.capable());
        assertTrue(noKvm.notCapableReason().contains("does not exist"), noKvm.notCapableReason());
    }

    @Test
    void everyOperationDrivesTheVmmAndConformsToTheSpec() throws Exception {
        CloudHvHypervisor hv = standInBackend();
        VmSpec spec = spec("lifecycle");
        String id = spec.id();
        assertEquals(VmState.STOPPED, hv.createVm(spec).state());
        assertThrows(ConflictException.class, () -> hv.createVm(spec));
        hv.startVm(id);
        awaitEvent(VmEvent.Type.STARTED, id);
        assertEquals(VmState.RUNNING, hv.status(id).state());
        assertThrows(ConflictException.class, () -> hv.startVm(id));
        assertThrows(ConflictException.class, () -> hv.deleteVm(id));

        hv.pauseVm(id);
        assertEquals(VmState.PAUSED, hv.status(id).state());
        hv.resumeVm(id);
        hv.rebootVm(id);
        assertEquals(VmState.RUNNING, hv.status(id).state());

        hv.attachDisk(id, DiskSpec.file("data", "/var/lib/limiquantix/data.qcow2", DiskSource.Format.QCOW2));
        assertTrue(hv.counters(id).has("data"), "the VMM has the hot-plugged disk");
        hv.detachDisk(id, "data");
        assertFalse(hv.counters(id).has("data"));

        hv.createSnapshot(id, new SnapshotSpec("before", "first", true, false), null);
        assertEquals(List.of("before"), hv.listSnapshots(id).stream().map(s -> s.name()).toList());
        assertEquals(VmState.RUNNING, hv.status(id).state(), "a snapshot pauses and resumes a running VM");
        long pidBefore = pidOf(tmp.resolve("state"), id);
        hv.revertSnapshot(id, "before", null);
        assertNotEquals(pidBefore, pidOf(tmp.resolve("state"), id), "a revert restores into a fresh VMM");
        assertEquals(VmState.RUNNING, hv.status(id).state());
        hv.deleteSnapshot(id, "before");
        assertTrue(hv.listSnapshots(id).isEmpty());

        assertEquals(new VmDirectory(tmp.resolve("state"), id).serialLog().toString(), hv.consoleInfo(id).serialLog());
        events.clear();
        hv.stopVm(id, Duration.ofSeconds(30), null);
        awaitEvent(VmEvent.Type.STOPPED, id);
        assertEquals(VmState.STOPPED, hv.status(id).state());
        assertFalse(ProcessHandle.of(pidBefore).map(ProcessHandle::isAlive).orElse(false));

        assertEquals(List.of(), violations(id), "the stand-in saw requests or sent answers outside the spec");
        hv.deleteVm(id);
        assertTrue(hv.listVms().isEmpty());
        assertFalse(Files.exists(tmp.resolve("state").resolve(id)));
    }

    @Test
    void nicsGetTapsOnTheirBridgeBeforeAnyVmmAndLoseThemWhenTheVmIsDeleted() throws Exception {
        CloudHvHypervisor hv = standInBackend();
        assertTrue(hv.capabilities().has(Feature.BRIDGE_NETWORK));
        assertFalse(hv.capabilities().has(Feature.VIRTUAL_NETWORK));
        VmSpec spec = specBuilder("wired").nic(new NicSpec(null, "br-test", null, "52:54:00:00:00:01"))
            .nic(new NicSpec(null, "br-test", null, null)).build();
        String id = spec.id();
        String tap0 = VmNics.tapName(id, 0);
        String tap1 = VmNics.tapName(id, 1);
        Path pidFile = tmp.resolve("state").resolve(id).resolve("vmm.pid");
        List<Boolean> vmmRecordedAtTapCreation = new CopyOnWriteArrayList<>();
        taps.beforeCreate(t -> vmmRecordedAtTapCreation.add(Files.exists(pidFile)));

        hv.createVm(spec);
        assertEquals(Map.of(tap0, "br-test", tap1, "br-test"), taps.taps());
        VmSpec stored = readSpec(id);
        assertEquals("52:54:00:00:00:01", stored.nics().get(0).mac());
        String generated = stored.nics().get(1).mac();
        assertEquals(VmNics.generatedMac(id, 1), generated, "the generated MAC is stored with the definition");

        taps.forget(tap1); // as after a host reboot: taps do not survive it
        hv.startVm(id);
        assertEquals(List.of("create " + tap0 + " br-test", "create " + tap1 + " br-test", "create " + tap1 + " br-test"), taps.calls());
        assertEquals(List.of(false, false, false), vmmRecordedAtTapCreation, "every tap exists before a VMM is started for the VM");
        JsonNode net = api.send(new VmDirectory(tmp.resolve("state"), id).socket(), new ChRequests.VmInfo()).config().path("net");
        assertEquals(2, net.size(), net.toString());
        assertEquals(tap0, net.get(0).path("tap").asText());
        assertEquals("52:54:00:00:00:01", net.get(0).path("mac").asText());
        assertEquals(tap1, net.get(1).path("tap").asText());
        assertEquals(generated, net.get(1).path("mac").asText());

        hv.stopVm(id, Duration.ofSeconds(30), null);
        assertEquals(List.of(), violations(id), "the stand-in saw requests or sent answers outside the spec");
        hv.deleteVm(id);
        assertTrue(taps.taps().isEmpty(), taps.taps().toString());
        assertTrue(taps.calls().containsAll(List.of("remove " + tap0, "remove " + tap1)), taps.calls().toString());
    }

    @Test
    void aFailedDefinitionLeavesNeitherTapsNorTheVmAndVirtualNetworksAreRefused() {
        CloudHvHypervisor hv = standInBackend();
        VmSpec spec = specBuilder("half-wired").nic(new NicSpec(null, "br-test", null, null))
            .nic(new NicSpec(null, "br-missing", null, null)).build();
        BackendFailureException e = assertThrows(BackendFailureException.class, () -> hv.createVm(spec));
        assertTrue(e.getMessage().contains("nics[1]") && e.getMessage().contains("br-missing"), e.getMessage());
        assertTrue(taps.taps().isEmpty(), "the tap made for nics[0] is removed again: " + taps.calls());
        assertTrue(taps.calls().contains("remove " + VmNics.tapName(spec.id(), 0)), taps.calls().toString());
        assertTrue(hv.listVms().isEmpty());
        assertFalse(Files.exists(tmp.resolve("state").resolve(spec.id())));

        int callsBefore = taps.calls().size();
        UnsupportedFeatureException u = assertThrows(UnsupportedFeatureException.class,
            () -> hv.createVm(specBuilder("virtual").nic(NicSpec.network("default")).build()));
        assertEquals(Feature.VIRTUAL_NETWORK, u.feature());
        assertTrue(u.getMessage().contains("nics[0].network"), u.getMessage());
        assertEquals(callsBefore, taps.calls().size(), "refused before any tap is touched");
    }

    @Test
    void aVmmThatExitsUnexpectedlyMakesTheVmCrashed() throws Exception {
        CloudHvHypervisor hv = standInBackend();
        VmSpec spec = spec("crashy");
        hv.createVm(spec);
        hv.startVm(spec.id());
        long pid = pidOf(tmp.resolve("state"), spec.id());
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        VmEvent crashed = awaitEvent(VmEvent.Type.CRASHED, spec.id());
        assertTrue(crashed.detail().contains("signal 9"), crashed.detail());
        assertEquals(VmState.CRASHED, hv.status(spec.id()).state());
        assertTrue(hv.status(spec.id()).reason().contains("signal 9"));
        // A crashed VM can be started again.
        hv.startVm(spec.id());
        assertEquals(VmState.RUNNING, hv.status(spec.id()).state());
    }

    @Test
    void vmmsOutliveTheBackendAndAreReadoptedWhenItStartsAgain() throws Exception {
        CloudHvHypervisor first = standInBackend();
        VmSpec a = spec("survivor");
        VmSpec b = spec("dies-while-away");
        first.createVm(a);
        first.createVm(b);
        first.startVm(a.id());
        first.startVm(b.id());
        long pidA = pidOf(tmp.resolve("state"), a.id());
        long pidB = pidOf(tmp.resolve("state"), b.id());
        first.close();
        opened.remove(first);
        assertTrue(ProcessHandle.of(pidA).orElseThrow().isAlive(), "stopping the backend must not stop a VMM");
        ProcessHandle handleB = ProcessHandle.of(pidB).orElseThrow();
        handleB.destroyForcibly();
        handleB.onExit().get(10, TimeUnit.SECONDS);

        CloudHvHypervisor second = standInBackend();
        assertEquals(2, second.listVms().size());
        assertEquals(VmState.RUNNING, second.status(a.id()).state(), "adopted from its socket");
        assertEquals(a, readSpec(a.id()), "the definition survives as it was");
        assertEquals(VmState.CRASHED, second.status(b.id()).state());

        ProcessHandle.of(pidA).orElseThrow().destroyForcibly();
        VmEvent crashed = awaitEvent(VmEvent.Type.CRASHED, a.id());
        assertNotNull(crashed.detail());
        assertEquals(VmState.CRASHED, second.status(a.id()).state());
    }

    @Test
    void migrationSendsToTheTargetAndReceivesOnTheDestination() throws Exception {
        CloudHvHypervisor hv = standInBackend();
        VmSpec out = spec("leaving");
        VmSpec in = spec("arriving");
        hv.createVm(out);
        hv.createVm(in);
        assertThrows(io.limiquantix.node.api.InvalidArgumentException.class,
            () -> hv.migrate(out.id(), "qemu+ssh://elsewhere/system", null, null));
        hv.startVm(out.id());
        var result = hv.migrate(out.id(), "tcp:192.0.2.10:6000", io.limiquantix.node.api.MigrationOptions.liveDefaults(), null);
        assertEquals("tcp:192.0.2.10:6000", result.target());
        awaitEvent(VmEvent.Type.MIGRATED, out.id());
        assertEquals(VmState.STOPPED, hv.status(out.id()).state(), "the source VMM is gone once the VM has left");

        hv.receiveMigration(in.id(), "tcp:0.0.0.0:6000", Duration.ofSeconds(30));
        assertEquals(VmState.RUNNING, hv.status(in.id()).state());
        assertEquals(List.of(), violations(out.id()));
        assertEquals(List.of(), violations(in.id()));
    }

    private VmSpec readSpec(String id) throws IOException {
        return new VmDirectory(tmp.resolve("state"), id).readSpec();
    }
}
