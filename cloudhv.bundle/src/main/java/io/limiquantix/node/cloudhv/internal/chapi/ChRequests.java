package io.limiquantix.node.cloudhv.internal.chapi;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.limiquantix.node.cloudhv.internal.chapi.ChTypes.DiskConfig;
import io.limiquantix.node.cloudhv.internal.chapi.ChTypes.PciDeviceInfo;
import io.limiquantix.node.cloudhv.internal.chapi.ChTypes.PingResponse;
import io.limiquantix.node.cloudhv.internal.chapi.ChTypes.VmConfig;
import io.limiquantix.node.cloudhv.internal.chapi.ChTypes.VmInfoResponse;

/**
 * The Cloud Hypervisor API actions this backend uses, one record each, named after the endpoint. Bodies are
 * the typed records of {@link ChTypes}; the field names follow the API's own (snake_case on the wire).
 */
public final class ChRequests {
    private ChRequests() {}

    public record VmmPing() implements ChRequest<PingResponse> {
        public Method method() { return Method.GET; }
        public String endpoint() { return "vmm.ping"; }
        public Class<PingResponse> responseType() { return PingResponse.class; }
    }

    public record VmmShutdown() implements ChRequest<Void> {
        public Method method() { return Method.PUT; }
        public String endpoint() { return "vmm.shutdown"; }
        public Class<Void> responseType() { return Void.class; }
    }

    public record VmCreate(VmConfig config) implements ChRequest<Void> {
        public Method method() { return Method.PUT; }
        public String endpoint() { return "vm.create"; }
        public Object body() { return config; }
        public Class<Void> responseType() { return Void.class; }
    }

    public record VmBoot() implements ChRequest<Void> {
        public Method method() { return Method.PUT; }
        public String endpoint() { return "vm.boot"; }
        public Class<Void> responseType() { return Void.class; }
    }

    /** CH's vm.shutdown tears the VM down at once (it is not a guest shutdown); see {@link VmPowerButton}. */
    public record VmShutdown() implements ChRequest<Void> {
        public Method method() { return Method.PUT; }
        public String endpoint() { return "vm.shutdown"; }
        public Class<Void> responseType() { return Void.class; }
    }

    /** An ACPI power button press: the guest decides to shut down. */
    public record VmPowerButton() implements ChRequest<Void> {
        public Method method() { return Method.PUT; }
        public String endpoint() { return "vm.power-button"; }
        public Class<Void> responseType() { return Void.class; }
    }

    public record VmReboot() implements ChRequest<Void> {
        public Method method() { return Method.PUT; }
        public String endpoint() { return "vm.reboot"; }
        public Class<Void> responseType() { return Void.class; }
    }

    public record VmPause() implements ChRequest<Void> {
        public Method method() { return Method.PUT; }
        public String endpoint() { return "vm.pause"; }
        public Class<Void> responseType() { return Void.class; }
    }

    public record VmResume() implements ChRequest<Void> {
        public Method method() { return Method.PUT; }
        public String endpoint() { return "vm.resume"; }
        public Class<Void> responseType() { return Void.class; }
    }

    public record VmDelete() implements ChRequest<Void> {
        public Method method() { return Method.PUT; }
        public String endpoint() { return "vm.delete"; }
        public Class<Void> responseType() { return Void.class; }
    }

    public record VmInfo() implements ChRequest<VmInfoResponse> {
        public Method method() { return Method.GET; }
        public String endpoint() { return "vm.info"; }
        public Class<VmInfoResponse> responseType() { return VmInfoResponse.class; }
    }

    /** Per-device counters: {@code {"_disk0": {"read_bytes": 0, ...}, ...}}. */
    public record VmCounters() implements ChRequest<ObjectNode> {
        public Method method() { return Method.GET; }
        public String endpoint() { return "vm.counters"; }
        public Class<ObjectNode> responseType() { return ObjectNode.class; }
    }

    /** Writes the paused VM's full state (memory and devices) to a {@code file://} directory URL. */
    public record VmSnapshot(String destinationUrl) implements ChRequest<Void> {
        public Method method() { return Method.PUT; }
        public String endpoint() { return "vm.snapshot"; }
        public Object body() { return new ChTypes.SnapshotConfig(destinationUrl); }
        public Class<Void> responseType() { return Void.class; }
    }

    /** Restores into a VMM that holds no VM yet; {@code resume} false leaves it paused. */
    public record VmRestore(String sourceUrl, boolean resume) implements ChRequest<Void> {
        public Method method() { return Method.PUT; }
        public String endpoint() { return "vm.restore"; }
        public Object body() { return new ChTypes.RestoreConfig(sourceUrl, false, resume); }
        public Class<Void> responseType() { return Void.class; }
    }

    /** Answers 200 with the new device when the VM runs (hot-plug), 204 when it is only created. */
    public record VmAddDisk(DiskConfig disk) implements ChRequest<PciDeviceInfo> {
        public Method method() { return Method.PUT; }
        public String endpoint() { return "vm.add-disk"; }
        public Object body() { return disk; }
        public Class<PciDeviceInfo> responseType() { return PciDeviceInfo.class; }
    }

    public record VmRemoveDevice(String id) implements ChRequest<Void> {
        public Method method() { return Method.PUT; }
        public String endpoint() { return "vm.remove-device"; }
        public Object body() { return new ChTypes.RemoveDevice(id); }
        public Class<Void> responseType() { return Void.class; }
    }

    public record VmSendMigration(ChTypes.SendMigrationData data) implements ChRequest<Void> {
        public Method method() { return Method.PUT; }
        public String endpoint() { return "vm.send-migration"; }
        public Object body() { return data; }
        public Class<Void> responseType() { return Void.class; }
    }

    public record VmReceiveMigration(String receiverUrl) implements ChRequest<Void> {
        public Method method() { return Method.PUT; }
        public String endpoint() { return "vm.receive-migration"; }
        public Object body() { return new ChTypes.ReceiveMigrationData(receiverUrl); }
        public Class<Void> responseType() { return Void.class; }
    }
}
