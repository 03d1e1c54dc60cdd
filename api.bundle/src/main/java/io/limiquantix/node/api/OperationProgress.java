package io.limiquantix.node.api;

/**
 * Progress of a long operation. {@code fraction} is in [0,1], or -1 when unknown; byte counts are -1 when
 * the operation does not move data.
 */
public record OperationProgress(String operation, String phase, double fraction, long totalBytes,
                                long processedBytes, long remainingBytes, String detail) {
    public OperationProgress {
        detail = detail == null ? "" : detail;
    }

    public static OperationProgress phase(String operation, String phase, double fraction, String detail) {
        return new OperationProgress(operation, phase, fraction, -1, -1, -1, detail);
    }
}
