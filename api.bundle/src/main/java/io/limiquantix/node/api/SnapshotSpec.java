package io.limiquantix.node.api;

import io.limiquantix.node.api.internal.Checks;

/**
 * A snapshot to take: internal (inside the qcow2 images) or external (new overlay files), with or without
 * the guest's memory.
 */
public record SnapshotSpec(String name, String description, boolean includeMemory, boolean external) {
    public SnapshotSpec {
        Checks.name("name", name);
        Checks.text("description", description, 1024);
    }
}
