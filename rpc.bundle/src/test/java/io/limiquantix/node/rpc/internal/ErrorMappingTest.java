package io.limiquantix.node.rpc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.limiquantix.node.api.BackendFailureException;
import io.limiquantix.node.api.BackendUnavailableException;
import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.api.UnsupportedFeatureException;
import io.limiquantix.node.rpc.v1.CpuSpec;
import io.limiquantix.node.rpc.v1.CreateVMRequest;
import io.limiquantix.node.rpc.v1.DiskSource;
import io.limiquantix.node.rpc.v1.DiskSpec;
import io.limiquantix.node.rpc.v1.GetHealthRequest;
import io.limiquantix.node.rpc.v1.MemorySpec;
import io.limiquantix.node.rpc.v1.StopVMRequest;
import io.limiquantix.node.rpc.v1.VmRequest;
import io.limiquantix.node.rpc.v1.VmSpec;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Typed errors become gRPC codes; bad input becomes INVALID_ARGUMENT naming the field, and the server carries on. */
class ErrorMappingTest {
    private InProcessNode rpc;

    @BeforeEach
    void start() throws Exception {
        rpc = new InProcessNode();
    }

    @AfterEach
    void stop() throws Exception {
        rpc.close();
    }

    private StatusRuntimeException fails(Executable call) {
        return assertThrows(StatusRuntimeException.class, call);
    }

    /** The field named by both the rich status and the plain trailer; they must agree. */
    private static String field(StatusRuntimeException e) throws InvalidProtocolBufferException {
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.toString());
        com.google.rpc.Status rich = StatusProto.fromThrowable(e);
        BadRequest bad = rich.getDetails(0).unpack(BadRequest.class);
        String field = bad.getFieldViolations(0).getField();
        assertEquals(field, e.getTrailers().get(ErrorMapping.FIELD));
        assertTrue(e.getStatus().getDescription().startsWith(field + ": "), e.getStatus().getDescription());
        return field;
    }

    private StatusRuntimeException create(VmSpec.Builder spec) {
        return fails(() -> rpc.stub().createVM(CreateVMRequest.newBuilder().setSpec(spec).build()));
    }

    @Test
    void typedErrorsBecomeTheirCodes() {
        rpc.stub().createVM(CreateVMRequest.newBuilder().setSpec(NodeDaemonEndpointTest.kernelGuest("x")).build());
        VmRequest x = VmRequest.newBuilder().setVm("x").build();
        expect(Status.Code.NOT_FOUND, () -> new NotFoundException("no VM 'y'"), x);
        expect(Status.Code.FAILED_PRECONDITION, () -> new ConflictException("VM x is running"), x);
        expect(Status.Code.UNIMPLEMENTED, () -> new UnsupportedFeatureException(Feature.TPM, "no backend offers TPM"), x);
        expect(Status.Code.UNAVAILABLE, () -> new BackendUnavailableException("backend qemu is away"), x);
        expect(Status.Code.INTERNAL, () -> new BackendFailureException("libvirt: domain crashed", null), x);
        expect(Status.Code.INTERNAL, () -> new IllegalStateException("a bug"), x);
    }

    private void expect(Status.Code code, Supplier<RuntimeException> error, VmRequest request) {
        rpc.node.failNext = error;
        StatusRuntimeException e = fails(() -> rpc.stub().startVM(request));
        assertEquals(code, e.getStatus().getCode());
        if (!(error.get() instanceof IllegalStateException))
            assertTrue(e.getStatus().getDescription().contains(error.get().getMessage()), e.getStatus().getDescription());
        else
            assertTrue(!e.getStatus().getDescription().contains("a bug"), "internals must not leak: " + e.getStatus());
    }

    @Test
    void aMissingVmIsNotFound() {
        assertEquals(Status.Code.NOT_FOUND, fails(() -> rpc.stub().getVM(VmRequest.newBuilder().setVm("nope").build()))
            .getStatus().getCode());
    }

    @Test
    void specErrorsNameTheProtoField() throws Exception {
        assertEquals("spec", field(fails(() -> rpc.stub().createVM(CreateVMRequest.getDefaultInstance()))));
        assertEquals("spec.name", field(create(NodeDaemonEndpointTest.kernelGuest("").clearName())));
        assertEquals("spec.cpu", field(create(NodeDaemonEndpointTest.kernelGuest("a").clearCpu())));
        assertEquals("spec.cpu.vcpus", field(create(NodeDaemonEndpointTest.kernelGuest("a").setCpu(CpuSpec.newBuilder()))));
        assertEquals("spec.cpu.vcpus", field(create(NodeDaemonEndpointTest.kernelGuest("a").setCpu(CpuSpec.newBuilder().setVcpus(-1)))));
        assertEquals("spec.memory.size_mib", field(create(NodeDaemonEndpointTest.kernelGuest("a").setMemory(MemorySpec.newBuilder().setSizeMib(1)))));
        assertEquals("spec.disks[1].source.path", field(create(NodeDaemonEndpointTest.kernelGuest("a")
            .addDisks(disk("ok", "/var/lib/limiquantix/images/ok.img"))
            .addDisks(disk("bad", "relative/path.img")))));
        assertEquals("spec.disks[0].source.kind", field(create(NodeDaemonEndpointTest.kernelGuest("a")
            .addDisks(DiskSpec.newBuilder().setName("d").setSource(DiskSource.newBuilder().setPath("/x"))))));
        assertEquals("spec.boot.cmdline", field(create(NodeDaemonEndpointTest.kernelGuest("a")
            .setBoot(NodeDaemonEndpointTest.kernelGuest("a").getBoot().toBuilder().setCmdline("a<b")))));
        assertEquals("timeout_seconds", field(fails(() -> rpc.stub().stopVM(StopVMRequest.newBuilder().setVm("a")
            .setTimeoutSeconds(-1).build()))));
        assertEquals("vm", field(fails(() -> rpc.stub().startVM(VmRequest.getDefaultInstance()))));
        assertTrue(rpc.node.calls.isEmpty(), "refused before reaching the node: " + rpc.node.calls);
    }

    private static DiskSpec disk(String name, String path) {
        return DiskSpec.newBuilder().setName(name)
            .setSource(DiskSource.newBuilder().setKind(DiskSource.Kind.KIND_FILE).setPath(path)).build();
    }

    @Test
    void unknownEnumNumbersAreRefusedNotDefaulted() throws Exception {
        assertEquals("spec.firmware", field(create(NodeDaemonEndpointTest.kernelGuest("a").setFirmwareValue(99))));
        assertEquals("spec.cpu.mode", field(create(NodeDaemonEndpointTest.kernelGuest("a")
            .setCpu(CpuSpec.newBuilder().setVcpus(1).setModeValue(42)))));
        assertEquals("spec.disks[0].bus", field(create(NodeDaemonEndpointTest.kernelGuest("a")
            .addDisks(disk("d", "/var/lib/limiquantix/images/d.img").toBuilder().setBusValue(7)))));
    }

    @Test
    void aTenMegabyteNameIsInvalidAndTheServerKeepsServing() throws Exception {
        String huge = "a".repeat(10 * 1024 * 1024);
        StatusRuntimeException e = create(NodeDaemonEndpointTest.kernelGuest(huge));
        assertEquals("spec.name", field(e));
        assertTrue(e.getStatus().getDescription().length() < 200, "the answer must not echo the input");
        assertTrue(rpc.stub().getHealth(GetHealthRequest.getDefaultInstance()).getServing());
    }
}
