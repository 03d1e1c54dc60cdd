package io.limiquantix.node.api;

import java.time.Instant;

/** A backend's health as it sees it now; placement only uses HEALTHY backends. */
public record BackendHealth(Status status, String detail, Instant since) {
    public enum Status { HEALTHY, DEGRADED, UNAVAILABLE }

    public BackendHealth {
        if (status == null) throw new IllegalArgumentException("status is required");
        detail = detail == null ? "" : detail;
        since = since == null ? Instant.now() : since;
    }

    public boolean isHealthy() {
        return status == Status.HEALTHY;
    }

    public static BackendHealth healthy(String detail) {
        return new BackendHealth(Status.HEALTHY, detail, Instant.now());
    }

    public static BackendHealth unavailable(String detail) {
        return new BackendHealth(Status.UNAVAILABLE, detail, Instant.now());
    }
}
