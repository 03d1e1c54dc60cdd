package io.limiquantix.node.core.internal;

import io.limiquantix.node.api.BackendHealth;
import io.limiquantix.node.api.Hypervisor;
import io.limiquantix.node.api.HypervisorCapabilities;
import io.limiquantix.node.api.HypervisorException;
import java.util.concurrent.CompletableFuture;

/**
 * One registered Hypervisor service as the runtime sees it: its identity from the service properties and
 * guarded access to the two questions placement asks (capabilities, health).
 *
 * <p>Capabilities are probed once per registration (the registry makes a new Backend when the service's
 * properties change) because probing can be slow. Health is asked fresh each time, but at most one health
 * call per backend is ever outstanding: a backend that hangs does not accumulate stuck threads.
 */
final class Backend {
    private final String name;
    private final String type;
    private final int ranking;
    private final long serviceId;
    private final Hypervisor hypervisor;
    private final BoundedCalls calls;
    private final CompletableFuture<HypervisorCapabilities> capabilities;
    private CompletableFuture<BackendHealth> health;

    Backend(String name, String type, int ranking, long serviceId, Hypervisor hypervisor, BoundedCalls calls) {
        this.name = name;
        this.type = type == null ? "" : type;
        this.ranking = ranking;
        this.serviceId = serviceId;
        this.hypervisor = hypervisor;
        this.calls = calls;
        this.capabilities = calls.start(hypervisor::capabilities);
    }

    String name() {
        return name;
    }

    String type() {
        return type;
    }

    int ranking() {
        return ranking;
    }

    long serviceId() {
        return serviceId;
    }

    Hypervisor hypervisor() {
        return hypervisor;
    }

    BoundedCalls calls() {
        return calls;
    }

    /**
     * The probed capabilities; a probe that failed or did not answer in time is reported as a backend that
     * is not capable, with the reason, so placement and the console show why.
     */
    HypervisorCapabilities capabilities() {
        try {
            HypervisorCapabilities c = calls.await("capabilities of backend " + name, capabilities);
            if (c == null) return HypervisorCapabilities.notCapable(typeOrName(), "backend reported no capabilities");
            return c;
        } catch (HypervisorException e) {
            return HypervisorCapabilities.notCapable(typeOrName(), "capabilities probe failed: " + e.getMessage());
        }
    }

    /** Never throws: a health call that throws or hangs means the backend is not healthy. */
    BackendHealth health() {
        CompletableFuture<BackendHealth> call;
        synchronized (this) {
            if (health == null || health.isDone()) health = calls.start(hypervisor::health);
            call = health;
        }
        try {
            BackendHealth h = calls.await("health of backend " + name, call);
            return h == null ? BackendHealth.unavailable("backend reported no health") : h;
        } catch (HypervisorException e) {
            return BackendHealth.unavailable("health check failed: " + e.getMessage());
        }
    }

    private String typeOrName() {
        return type.isBlank() ? name : type;
    }

    @Override
    public String toString() {
        return "backend " + name + " (service " + serviceId + ", ranking " + ranking + ")";
    }
}
