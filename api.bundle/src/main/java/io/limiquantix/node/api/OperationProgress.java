package io.limiquantix.node.api;

/**
 * Progress of a long operation. {@code fraction} is in [0,1], or -1 when unknown; byte counts are -1 when
 * the operation does not move data. {@code migration} carries a migration's own figures (dirty rate,
 * iteration, downtime …) and is null for every other operation (since 1.1).
 */
public record OperationProgress(String operation, String phase, double fraction, long totalBytes,
                                long processedBytes, long remainingBytes, String detail, MigrationStats migration) {
    public OperationProgress {
        detail = detail == null ? "" : detail;
    }

    /** Progress without migration figures (the constructor of 1.0). */
    public OperationProgress(String operation, String phase, double fraction, long totalBytes, long processedBytes,
                             long remainingBytes, String detail) {
        this(operation, phase, fraction, totalBytes, processedBytes, remainingBytes, detail, null);
    }

    public static OperationProgress phase(String operation, String phase, double fraction, String detail) {
        return new OperationProgress(operation, phase, fraction, -1, -1, -1, detail);
    }
}
