package io.limiquantix.node.api;

import java.util.List;

/**
 * Counters of one VM from a backend's statistics sweep ({@link Hypervisor#stats()}). Counters only grow while
 * the VM runs (a restart starts them again); a value the backend did not report is {@value #ABSENT}.
 *
 * @param id the VM's id (lower-case UUID)
 * @param name the VM's name on the backend
 * @param state its state when the sweep read it
 * @param vcpus vCPUs online, or {@value #ABSENT}
 * @param cpuTimeNanos CPU time used by the whole VM (guest and emulator), in nanoseconds; 0 when not running
 * @param memory balloon and resident memory
 * @param disks per-disk I/O counters
 * @param nics per-interface network counters
 */
public record VmStats(String id, String name, VmState state, long vcpus, long cpuTimeNanos, Memory memory,
                      List<Disk> disks, List<Nic> nics) {
    /** The value of a counter the backend did not report. */
    public static final long ABSENT = -1;

    public VmStats {
        if (id == null || name == null || state == null) throw new IllegalArgumentException("id, name and state are required");
        memory = memory == null ? Memory.NONE : memory;
        disks = disks == null ? List.of() : List.copyOf(disks);
        nics = nics == null ? List.of() : List.copyOf(nics);
    }

    /**
     * Memory in KiB as the guest's balloon and the host see it. {@code currentKiB}: what the guest has now
     * (balloon); {@code maximumKiB}: what it may have; {@code rssKiB}: resident on the host; {@code availableKiB}
     * and {@code unusedKiB}: as the guest reports them (needs a balloon driver in the guest).
     */
    public record Memory(long currentKiB, long maximumKiB, long rssKiB, long availableKiB, long unusedKiB) {
        public static final Memory NONE = new Memory(ABSENT, ABSENT, ABSENT, ABSENT, ABSENT);
    }

    /** One disk: {@code name} is the backend's device name (e.g. {@code vda}), {@code path} its source or null. */
    public record Disk(String name, String path, long readBytes, long writeBytes, long readRequests, long writeRequests) {
        public Disk {
            if (name == null) throw new IllegalArgumentException("name is required");
        }
    }

    /** One network interface: {@code name} is the host side device (e.g. {@code vnet3}). */
    public record Nic(String name, long rxBytes, long txBytes, long rxPackets, long txPackets) {
        public Nic {
            if (name == null) throw new IllegalArgumentException("name is required");
        }
    }
}
