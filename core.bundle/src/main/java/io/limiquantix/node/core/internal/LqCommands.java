package io.limiquantix.node.core.internal;

import io.limiquantix.node.api.BackendHealth;
import io.limiquantix.node.api.GuestOs;
import io.limiquantix.node.api.HypervisorCapabilities;
import io.limiquantix.node.api.HypervisorException;
import io.limiquantix.node.api.OsFamily;
import io.limiquantix.node.api.PlacementHints;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.runtime.BackendView;
import io.limiquantix.node.runtime.NodeService;
import io.limiquantix.node.runtime.PlacementDecision;
import io.limiquantix.node.runtime.VmRecord;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.apache.felix.service.command.Descriptor;

/**
 * The {@code lq:} Gogo commands. Each returns the text to print; errors come back as a one-line message
 * instead of a stack trace, because the shell is where operators read them.
 */
public final class LqCommands {
    static final String[] FUNCTIONS = {"backends", "vms", "place", "start", "stop"};

    private final NodeService node;

    LqCommands(NodeService node) {
        this.node = node;
    }

    @Descriptor("lists the hypervisor backends: ranking, capability, health, accelerator and VM count")
    public String backends() {
        return guarded(() -> {
            List<BackendView> all = node.backends();
            if (all.isEmpty()) return "no hypervisor backend is registered";
            StringBuilder out = new StringBuilder(String.format("%-16s %-10s %8s %-10s %-11s %-5s %5s%n",
                "NAME", "TYPE", "RANKING", "CAPABLE", "HEALTH", "ACCEL", "VMS"));
            for (BackendView b : all) {
                HypervisorCapabilities c = b.capabilities();
                BackendHealth h = b.health();
                out.append(String.format("%-16s %-10s %8d %-10s %-11s %-5s %5d%n", b.name(), b.type(), b.ranking(),
                    c.capable() ? "yes" : "no", h.status(), c.accelerator(), b.vmCount()));
                if (!c.capable()) out.append("    not capable: ").append(c.notCapableReason()).append('\n');
                if (!h.isHealthy() && !h.detail().isBlank()) out.append("    health: ").append(h.detail()).append('\n');
            }
            return out.toString();
        });
    }

    @Descriptor("lists the VMs the node knows: id, name, backend, state and any pending operation")
    public String vms() {
        return guarded(() -> {
            List<VmRecord> all = node.listVms();
            if (all.isEmpty()) return "no VMs";
            StringBuilder out = new StringBuilder(String.format("%-36s %-20s %-12s %-13s %s%n",
                "ID", "NAME", "BACKEND", "STATE", "PENDING"));
            for (VmRecord r : all)
                out.append(String.format("%-36s %-20s %-12s %-13s %s%n", r.id(), r.name(), r.backend(), r.state(),
                    r.pendingOperation() == null ? "-" : r.pendingOperation() + " (interrupted or in flight)"));
            return out.toString();
        });
    }

    @Descriptor("shows where a Linux VM of this size would be placed, and why (creates nothing)")
    public String place(@Descriptor("VM name") String name, @Descriptor("vcpus") int vcpus,
                        @Descriptor("memory in MiB") long memoryMiB) {
        return place(name, vcpus, memoryMiB, "linux", null);
    }

    @Descriptor("shows where a VM would be placed, and why (creates nothing)")
    public String place(@Descriptor("VM name") String name, @Descriptor("vcpus") int vcpus,
                        @Descriptor("memory in MiB") long memoryMiB, @Descriptor("linux or windows") String os) {
        return place(name, vcpus, memoryMiB, os, null);
    }

    @Descriptor("shows whether a VM pinned to a backend would be placed there, and why (creates nothing)")
    public String place(@Descriptor("VM name") String name, @Descriptor("vcpus") int vcpus,
                        @Descriptor("memory in MiB") long memoryMiB, @Descriptor("linux or windows") String os,
                        @Descriptor("backend to pin the VM to") String pinned) {
        return guarded(() -> {
            OsFamily family = switch (os == null ? "linux" : os.toLowerCase(Locale.ROOT)) {
                case "linux" -> OsFamily.LINUX;
                case "windows" -> OsFamily.WINDOWS;
                default -> throw new io.limiquantix.node.api.InvalidArgumentException("os", "must be linux or windows");
            };
            VmSpec spec = VmSpec.builder(name).vcpus(vcpus).memoryMiB(memoryMiB).os(new GuestOs(family, null))
                .placement(new PlacementHints(pinned, false, false)).build();
            PlacementDecision d = node.place(spec);
            StringBuilder out = new StringBuilder();
            out.append(d.placed() ? "placed on " + d.chosen() : "NOT placed").append(": ").append(d.reason()).append('\n');
            out.append("requires: ").append(d.required()).append('\n');
            for (PlacementDecision.Candidate c : d.candidates())
                out.append(String.format("  %-16s ranking %5d  %-12s %s%n", c.backend(), c.ranking(),
                    c.eligible() ? "eligible" : "passed over", c.reason()));
            return out.toString();
        });
    }

    @Descriptor("starts a VM (by id or name)")
    public String start(@Descriptor("VM id or name") String vm) {
        return guarded(() -> {
            node.startVm(vm);
            return "started " + vm;
        });
    }

    @Descriptor("asks a VM's guest to shut down, waiting up to 120 s")
    public String stop(@Descriptor("VM id or name") String vm) {
        return stop(vm, 120);
    }

    @Descriptor("asks a VM's guest to shut down, waiting up to the given seconds")
    public String stop(@Descriptor("VM id or name") String vm, @Descriptor("seconds to wait") long timeoutSeconds) {
        return guarded(() -> {
            if (timeoutSeconds <= 0) throw new io.limiquantix.node.api.InvalidArgumentException("timeoutSeconds", "must be positive");
            node.stopVm(vm, Duration.ofSeconds(timeoutSeconds), null);
            return "stopped " + vm;
        });
    }

    private interface Command {
        String run();
    }

    private static String guarded(Command c) {
        try {
            return c.run();
        } catch (HypervisorException e) {
            return "error (" + e.getClass().getSimpleName().replace("Exception", "") + "): " + e.getMessage();
        }
    }
}
