package io.limiquantix.node.api;

import java.time.Duration;

/**
 * What a running (or just finished) migration reports besides the byte counts of {@link OperationProgress}.
 * Numbers the backend does not report are -1; {@code downtime} is null until the migration has completed.
 *
 * @param iteration            pre-copy pass over guest memory (1 = the first full copy)
 * @param dirtyRatePagesPerSec how fast the guest dirties memory, pages per second
 * @param pageSizeBytes        the size of one page in {@code dirtyRatePagesPerSec}
 * @param bandwidthBytesPerSec memory transfer rate
 * @param diskTotalBytes       storage to copy (storage migration), -1 without
 * @param diskProcessedBytes   storage copied so far
 * @param diskRemainingBytes   storage still to copy
 * @param throttlePercent      how much auto-converge slows the guest's vCPUs (0 = not at all)
 * @param postCopy             true once the migration switched to post-copy
 * @param downtime             how long the guest was paused for the switch-over (only once done)
 * @since 1.1
 */
public record MigrationStats(long iteration, long dirtyRatePagesPerSec, long pageSizeBytes, long bandwidthBytesPerSec,
                             long diskTotalBytes, long diskProcessedBytes, long diskRemainingBytes, int throttlePercent,
                             boolean postCopy, Duration downtime) {
}
