package io.limiquantix.node.cloudhv.internal.chapi;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * The parts of Cloud Hypervisor's API schema (v53) this backend writes and reads, as records. Only the
 * fields the backend sets are declared; absent ones take the VMM's defaults. Names are camelCase here and
 * snake_case on the wire ({@link ChJson}).
 */
public final class ChTypes {
    private ChTypes() {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record VmConfig(CpusConfig cpus, MemoryConfig memory, PayloadConfig payload, List<DiskConfig> disks,
                           List<NetConfig> net, SerialConfig serial, ConsoleConfig console) {
    }

    /**
     * A virtio-net device on an existing tap. Only {@code tap} and {@code mac} (the guest's MAC) are sent:
     * CH leaves the IP of a tap it did not create alone, and the default single queue pair matches the
     * single-queue taps the backend makes.
     */
    public record NetConfig(String tap, String mac) {
    }

    /** {@code nested} is always sent: CH enables nested virtualization by default, this backend never does. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record CpusConfig(int bootVcpus, int maxVcpus, CpuTopology topology, boolean nested) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record CpuTopology(int threadsPerCore, int coresPerDie, int diesPerPackage, int packages) {
    }

    /** {@code size} in bytes. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record MemoryConfig(long size, Boolean hugepages) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PayloadConfig(String firmware, String kernel, String cmdline, String initramfs) {
    }

    /** {@code id} is the node's disk name, so a disk can be removed by name. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record DiskConfig(String path, boolean readonly, String id, String imageType) {
    }

    /** {@code mode} is one of Off, Pty, Tty, File, Socket, Null. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record SerialConfig(String mode, String file) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ConsoleConfig(String mode, String file) {
    }

    public record SnapshotConfig(String destinationUrl) {
    }

    public record RestoreConfig(String sourceUrl, boolean prefault, boolean resume) {
    }

    public record RemoveDevice(String id) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record SendMigrationData(String destinationUrl, Long downtimeMs, Long timeoutS, String timeoutStrategy) {
    }

    public record ReceiveMigrationData(String receiverUrl) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record PingResponse(String version, String buildVersion, Long pid, List<String> features) {
        public PingResponse {
            features = features == null ? List.of() : List.copyOf(features);
        }
    }

    /** {@code state} is one of Created, Running, Shutdown, Paused. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record VmInfoResponse(JsonNode config, String state, Long memoryActualSize) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record PciDeviceInfo(String id, String bdf) {
    }
}
