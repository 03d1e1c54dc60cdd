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
 * <p>Capabilities are cached because probing can be slow. The cache starts afresh with each registration
 * (the registry makes a new Backend when the service's properties change); within one registration a
 * capable answer is kept for {@link #CAPABLE_TTL_MS}, while a not-capable answer or a failed probe is asked
 * again after {@link #RECHECK_MS}: a backend that registers before it has connected (libvirt connects in
 * the background) must become placeable once it has. Health is asked fresh each time. At most one probe of
 * each kind per backend is ever outstanding: a backend that hangs does not accumulate stuck threads.
 */
final class Backend {
    private final String name;
    private final String type;
    private final int ranking;
    private final long serviceId;
    private final Hypervisor hypervisor;
    private final BoundedCalls calls;
    static final long RECHECK_MS = 2_000;
    static final long CAPABLE_TTL_MS = 60_000;

    private CompletableFuture<HypervisorCapabilities> capabilities;
    private long capabilitiesAsked;
    private CompletableFuture<BackendHealth> health;
    /** The last VM listing of this registration (used only when its events cover every state change). */
    private final ListingCache listing = new ListingCache();
    /** Set once a health answer of this registration was healthy: from then on calls no longer wait for it. */
    private volatile boolean arrived;

    Backend(String name, String type, int ranking, long serviceId, Hypervisor hypervisor, BoundedCalls calls) {
        this.name = name;
        this.type = type == null ? "" : type;
        this.ranking = ranking;
        this.serviceId = serviceId;
        this.hypervisor = hypervisor;
        this.calls = calls;
        probeCapabilities(false);
    }

    /**
     * The current capability probe, starting a new one when the cached answer is due for another look, or
     * {@code afresh} (unless one is running).
     */
    private synchronized CompletableFuture<HypervisorCapabilities> probeCapabilities(boolean afresh) {
        long now = System.nanoTime();
        if (capabilities != null) {
            if (!capabilities.isDone()) return capabilities;
            long ageMs = (now - capabilitiesAsked) / 1_000_000;
            if (!afresh && ageMs < (isCapable(capabilities) ? CAPABLE_TTL_MS : RECHECK_MS)) return capabilities;
        }
        capabilitiesAsked = now;
        capabilities = calls.start(hypervisor::capabilities);
        return capabilities;
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

    ListingCache listing() {
        return listing;
    }

    BoundedCalls calls() {
        return calls;
    }

    /**
     * The probed capabilities; a probe that failed or did not answer in time is reported as a backend that
     * is not capable, with the reason, so placement and the console show why.
     */
    HypervisorCapabilities capabilities() {
        return capabilities(false);
    }

    /**
     * Asks the backend again now, whatever the cache holds: placement does so when it holds a "not known yet"
     * answer, since the backend may have connected since.
     */
    HypervisorCapabilities capabilitiesAfresh() {
        return capabilities(true);
    }

    private HypervisorCapabilities capabilities(boolean afresh) {
        try {
            HypervisorCapabilities c = calls.await("capabilities of backend " + name, probeCapabilities(afresh));
            if (c == null) return HypervisorCapabilities.notCapable(typeOrName(), "backend reported no capabilities");
            return c;
        } catch (HypervisorException e) {
            // A backend that did not answer (yet) cannot tell what it offers; any other failure is an answer.
            String why = "capabilities probe failed: " + e.getMessage();
            return e instanceof io.limiquantix.node.api.BackendUnavailableException
                ? HypervisorCapabilities.notYetKnown(typeOrName(), why) : HypervisorCapabilities.notCapable(typeOrName(), why);
        }
    }

    /** Starts a health call unless one is still outstanding; lets callers ask several backends at once. */
    synchronized CompletableFuture<BackendHealth> startHealth() {
        if (health == null || health.isDone()) health = calls.start(hypervisor::health);
        return health;
    }

    /**
     * Whether this registration has answered healthy at least once. A backend registers before it has
     * connected (libvirt connects in the background); until it has arrived, calls for its VMs are parked
     * like calls for an absent backend (see {@link BackendRegistry#whenReady}).
     */
    boolean arrived() {
        return arrived;
    }

    /** Records a health answer; a healthy one means the backend has arrived. */
    boolean noteHealth(BackendHealth h) {
        if (h != null && h.isHealthy() && !arrived) {
            synchronized (this) {
                arrived = true;
                // A "not capable" answer given while it was still connecting is stale now: ask again at once
                // rather than after RECHECK_MS, so placement and readiness see the backend as soon as it is up.
                if (capabilities != null && capabilities.isDone() && !isCapable(capabilities)) capabilities = null;
            }
        }
        return arrived;
    }

    private static boolean isCapable(CompletableFuture<HypervisorCapabilities> f) {
        return !f.isCompletedExceptionally() && f.getNow(null) != null && f.getNow(null).capable();
    }

    /** Never throws: a health call that throws or hangs means the backend is not healthy. */
    BackendHealth health() {
        CompletableFuture<BackendHealth> call = startHealth();
        try {
            BackendHealth h = calls.await("health of backend " + name, call);
            noteHealth(h);
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
