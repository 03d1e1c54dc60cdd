package io.limiquantix.node.api;

import java.time.Duration;

/** How a finished migration went; {@code downtime} is null when the backend does not report it. */
public record MigrationResult(String vmId, String target, Duration total, Duration downtime, long bytesTransferred) {
}
