package io.limiquantix.node.api;

import java.time.Instant;

public record SnapshotInfo(String name, String description, Instant createdAt, VmState vmState,
                           boolean includesMemory, boolean external, String parent, boolean current) {
}
