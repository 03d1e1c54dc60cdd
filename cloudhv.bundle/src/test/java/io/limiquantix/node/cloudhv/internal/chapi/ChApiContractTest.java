package io.limiquantix.node.cloudhv.internal.chapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.limiquantix.node.api.CpuSpec;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.MemorySpec;
import io.limiquantix.node.api.NicSpec;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.storage.DiskSource;
import io.limiquantix.node.cloudhv.internal.backend.ChVmConfigMapper;
import io.limiquantix.node.cloudhv.internal.chapi.ChTypes.SendMigrationData;
import io.limiquantix.node.cloudhv.standin.SpecValidator;
import io.limiquantix.node.cloudhv.standin.StandInVmmServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every action the backend sends, sent by the real client over a real Unix socket to the stand-in VMM,
 * which validates each request and each of its responses against Cloud Hypervisor's OpenAPI document.
 * The last tests show the validator does catch a request or answer that breaks the spec.
 */
class ChApiContractTest {
    private static SpecValidator spec;
    private static ChApiClient client;

    @TempDir Path tmp;
    private StandInVmmServer vmm;
    private Path socket;

    @BeforeAll
    static void loadSpec() {
        spec = SpecValidator.fromClasspath();
        client = new ChApiClient(Duration.ofSeconds(5));
    }

    @AfterAll
    static void closeClient() {
        client.close();
    }

    @BeforeEach
    void startStandIn() throws Exception {
        socket = tmp.resolve("api.sock");
        vmm = new StandInVmmServer(socket, spec, new StandInVmmServer.Hooks() {
            @Override
            public void vmmShutdown() { }

            @Override
            public void guestPoweredOff() { }
        }, null).start();
    }

    @AfterEach
    void stopStandIn() throws Exception {
        vmm.close();
    }

    private static VmSpec richSpec(Path dir) {
        return VmSpec.builder("contract-vm").id("123e4567-e89b-42d3-a456-426614174000")
            .cpu(new CpuSpec(4, 2, 2, 1, CpuSpec.Mode.DEFAULT, null))
            .memory(new MemorySpec(1024, false))
            .kernelBoot("/var/lib/limiquantix/vmlinuz", "/var/lib/limiquantix/initramfs.gz", "console=ttyS0 root=/dev/vda")
            .fileDisk("root", "/var/lib/limiquantix/root.qcow2", DiskSource.Format.QCOW2)
            .disk(new DiskSpec("data", DiskSource.file("/var/lib/limiquantix/data.img", DiskSource.Format.RAW), DiskSpec.Bus.VIRTIO,
                DiskSpec.Device.DISK, true, 0))
            .nic(new NicSpec(null, "br0", NicSpec.Model.VIRTIO, "52:54:00:12:34:56"))
            .nic(new NicSpec(null, "br1", null, null))
            .serialConsole(true).build();
    }

    @Test
    void everyLifecycleActionAndEveryAnswerConformsToTheSpec() throws Exception {
        ChTypes.PingResponse ping = client.send(socket, new ChRequests.VmmPing());
        assertEquals(StandInVmmServer.VERSION, ping.version());
        assertTrue(ping.features().contains("kvm"));

        ChTypes.VmConfig config = new ChVmConfigMapper(null).map(richSpec(tmp), tmp.resolve("serial.log"));
        assertNull(client.send(socket, new ChRequests.VmCreate(config)));
        assertEquals("Created", vmm.state());
        assertEquals(4, vmm.config().path("cpus").path("boot_vcpus").asInt(), "snake_case on the wire");
        assertFalse(vmm.config().path("cpus").path("nested").asBoolean(true), "nested virtualization is always switched off");
        assertEquals(1024L * 1024 * 1024, vmm.config().path("memory").path("size").asLong());
        assertEquals("Qcow2", vmm.config().path("disks").get(0).path("image_type").asText());
        assertEquals("root", vmm.config().path("disks").get(0).path("id").asText());
        assertEquals("lqch123e45670", vmm.config().path("net").get(0).path("tap").asText());
        assertEquals("52:54:00:12:34:56", vmm.config().path("net").get(0).path("mac").asText());
        assertEquals("lqch123e45671", vmm.config().path("net").get(1).path("tap").asText());

        client.send(socket, new ChRequests.VmBoot());
        assertEquals("Running", client.send(socket, new ChRequests.VmInfo()).state());
        client.send(socket, new ChRequests.VmReboot());
        client.send(socket, new ChRequests.VmPause());
        assertEquals("Paused", client.send(socket, new ChRequests.VmInfo()).state());
        client.send(socket, new ChRequests.VmSnapshot(tmp.resolve("snap").toUri().toString()));
        client.send(socket, new ChRequests.VmResume());
        ObjectNode counters = client.send(socket, new ChRequests.VmCounters());
        assertTrue(counters.has("root"), "counters are keyed by disk id: " + counters);

        ChTypes.PciDeviceInfo added = client.send(socket, new ChRequests.VmAddDisk(
            new ChTypes.DiskConfig("/var/lib/limiquantix/extra.img", false, "extra", "Raw")));
        assertNotNull(added);
        assertEquals("extra", added.id());
        client.send(socket, new ChRequests.VmRemoveDevice("extra"));
        client.send(socket, new ChRequests.VmSendMigration(new SendMigrationData("tcp:192.0.2.1:6000", 300L, 60L, "Cancel")));
        client.send(socket, new ChRequests.VmPowerButton());
        client.send(socket, new ChRequests.VmDelete());
        client.send(socket, new ChRequests.VmRestore(tmp.resolve("snap").toUri().toString(), false));
        assertEquals("Paused", vmm.state());
        client.send(socket, new ChRequests.VmShutdown());
        client.send(socket, new ChRequests.VmDelete());
        client.send(socket, new ChRequests.VmReceiveMigration("tcp:0.0.0.0:6000"));
        client.send(socket, new ChRequests.VmmShutdown());

        assertEquals(List.of(), vmm.violations());
        assertEquals(20, vmm.requests().size(), "every action reached the stand-in: " + vmm.requests());
    }

    @Test
    void refusalsComeBackAsTypedErrorsWithTheStatus() {
        ChApiException e = assertThrows(ChApiException.class, () -> client.send(socket, new ChRequests.VmBoot()));
        assertEquals(404, e.status());
        assertFalse(e.unreachable());
        assertEquals(List.of(), vmm.violations());
    }

    @Test
    void aVmmThatIsNotThereIsUnreachableNotAnHttpError() {
        ChApiException e = assertThrows(ChApiException.class,
            () -> client.send(tmp.resolve("nobody.sock"), new ChRequests.VmmPing(), Duration.ofSeconds(2)));
        assertTrue(e.unreachable(), e.getMessage());
        assertFalse(client.answers(tmp.resolve("nobody.sock"), Duration.ofMillis(500)));
    }

    /** The validator is not a rubber stamp: a VmConfig without its required payload is a violation. */
    @Test
    void theValidatorCatchesARequestThatBreaksTheSpec() throws Exception {
        ChTypes.VmConfig noPayload = new ChTypes.VmConfig(new ChTypes.CpusConfig(1, 1, null, false),
            new ChTypes.MemoryConfig(1 << 30, null), null, null, null, null, null);
        client.send(socket, new ChRequests.VmCreate(noPayload));
        assertFalse(vmm.violations().isEmpty());
        assertTrue(vmm.violations().get(0).contains("payload"), vmm.violations().toString());
    }

    /** A misnamed NetConfig field is a violation too, so the names the backend sends are checked, not just the shape. */
    @Test
    void theValidatorCatchesAMisnamedNetField() {
        String body = "{\"payload\":{\"kernel\":\"/k\"},\"net\":[{\"tap_name\":\"lqch123e45670\"}]}";
        assertFalse(spec.request("PUT", "/api/v1/vm.create", "application/json", body).isEmpty(), "tap_name is not a NetConfig field");
        String good = "{\"payload\":{\"kernel\":\"/k\"},\"net\":[{\"tap\":\"lqch123e45670\",\"mac\":\"52:54:00:12:34:56\"}]}";
        assertEquals(List.of(), spec.request("PUT", "/api/v1/vm.create", "application/json", good));
    }

    @Test
    void theValidatorCatchesAnAnswerThatBreaksTheSpec() {
        List<String> found = spec.response("GET", "/api/v1/vmm.ping", 200, "application/json", "{\"build_version\":\"x\"}");
        assertFalse(found.isEmpty(), "a ping answer without its required version must be refused");
        assertFalse(spec.request("PUT", "/api/v1/vm.add-disk", "application/json", "{\"path\": 42}").isEmpty());
    }
}
