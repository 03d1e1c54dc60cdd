package io.limiquantix.node.api;

import io.limiquantix.node.api.internal.Checks;

/** Guest memory in MiB, optionally backed by huge pages. */
public record MemorySpec(long sizeMiB, boolean hugePages) {
    public static final long MIN_MIB = 32;
    public static final long MAX_MIB = 16L * 1024 * 1024;

    public MemorySpec {
        Checks.range("sizeMiB", sizeMiB, MIN_MIB, MAX_MIB);
    }

    public static MemorySpec mib(long sizeMiB) {
        return new MemorySpec(sizeMiB, false);
    }
}
