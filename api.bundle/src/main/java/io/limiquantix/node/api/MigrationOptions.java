package io.limiquantix.node.api;

import java.time.Duration;

/**
 * How to migrate. {@code maxDowntime} and {@code completionTimeout} may be null (backend default, no
 * timeout); {@code bandwidthMiBps} 0 means unlimited.
 */
public record MigrationOptions(boolean live, boolean peerToPeer, Duration maxDowntime, long bandwidthMiBps,
                               boolean autoConverge, boolean postCopy, boolean tls, boolean copyStorage,
                               Duration completionTimeout, TimeoutPolicy onTimeout) {
    public enum TimeoutPolicy { ABORT, FORCE_COMPLETE }

    public MigrationOptions {
        if (maxDowntime != null && (maxDowntime.isNegative() || maxDowntime.isZero() || maxDowntime.toSeconds() > 3600))
            throw new InvalidArgumentException("maxDowntime", "must be between 1 ms and 1 hour");
        if (bandwidthMiBps < 0 || bandwidthMiBps > 1_000_000)
            throw new InvalidArgumentException("bandwidthMiBps", "must be between 0 (unlimited) and 1000000");
        if (completionTimeout != null && (completionTimeout.isNegative() || completionTimeout.isZero()))
            throw new InvalidArgumentException("completionTimeout", "must be positive");
        onTimeout = onTimeout == null ? TimeoutPolicy.ABORT : onTimeout;
    }

    public static MigrationOptions liveDefaults() {
        return new MigrationOptions(true, true, null, 0, false, false, false, false, null, TimeoutPolicy.ABORT);
    }
}
