package io.limiquantix.node.core.internal;

import io.limiquantix.node.api.BackendHealth;
import io.limiquantix.node.api.BackendUnavailableException;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.HypervisorCapabilities;
import io.limiquantix.node.api.HypervisorException;
import io.limiquantix.node.api.OsFamily;
import io.limiquantix.node.api.UnsupportedFeatureException;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.runtime.PlacementDecision;
import io.limiquantix.node.runtime.PlacementDecision.Candidate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Chooses a backend for a VM and says why every other one was passed over.
 *
 * <p>A backend is eligible when it is capable, covers every required feature, fits the VM within its limits
 * (0 means no known limit) and is healthy; health is asked last because it is the only live call. Among
 * eligible backends the highest {@code service.ranking} wins, ties going to the lowest service id (the
 * longest registered). A Linux VM asking for the performance profile first narrows the field to backends
 * with {@link Feature#PERFORMANCE_PROFILE} when there are any. A pinned backend is honoured when eligible and
 * otherwise refused: a pin that silently falls back would defeat its purpose.
 */
final class PlacementPolicy {
    private static final Comparator<Backend> RANKING =
        Comparator.comparingInt(Backend::ranking).reversed().thenComparingLong(Backend::serviceId);

    /** A dry run; nothing is recorded. {@code backends} are the registry's active ones. */
    PlacementDecision decide(VmSpec spec, Set<Feature> required, List<Backend> backends) {
        String pinned = spec.placement().backend();
        List<Backend> eligible = new ArrayList<>();
        List<Candidate> refused = new ArrayList<>();
        List<String> refusals = new ArrayList<>();
        // Ask every backend at once, so one slow backend costs the query bound once, not once per backend.
        backends.forEach(Backend::startHealth);
        for (Backend b : backends) {
            String refusal = refusal(b, spec, required, pinned);
            if (refusal == null) eligible.add(b);
            else {
                refused.add(new Candidate(b.name(), b.ranking(), false, refusal));
                if (!"not pinned".equals(refusal)) refusals.add(b.name() + ": " + refusal);
            }
        }
        Instant now = Instant.now();
        if (eligible.isEmpty()) {
            String reason;
            if (backends.isEmpty()) reason = "no hypervisor backend is registered";
            else if (pinned != null && backends.stream().noneMatch(b -> b.name().equals(pinned)))
                reason = "pinned backend '" + pinned + "' is not present";
            else reason = "no eligible backend: " + String.join("; ", refusals);
            return new PlacementDecision(spec.name(), required, pinned, null, reason, List.copyOf(refused), now);
        }
        boolean wantsPerformance = spec.placement().performance() && spec.os().family() == OsFamily.LINUX;
        List<Backend> preferred = eligible;
        if (wantsPerformance && eligible.stream().anyMatch(b -> hasFeature(b, Feature.PERFORMANCE_PROFILE)))
            preferred = eligible.stream().filter(b -> hasFeature(b, Feature.PERFORMANCE_PROFILE)).collect(Collectors.toList());
        Backend chosen = preferred.stream().min(RANKING).orElseThrow();
        List<Candidate> candidates = new ArrayList<>();
        candidates.add(new Candidate(chosen.name(), chosen.ranking(), true, "chosen"));
        for (Backend b : eligible) {
            if (b == chosen) continue;
            String why;
            if (!preferred.contains(b)) why = "no PERFORMANCE_PROFILE (the VM asks for the performance profile)";
            else if (b.ranking() < chosen.ranking()) why = "ranking " + b.ranking() + " < " + chosen.ranking();
            else why = "ranking " + b.ranking() + " equals " + chosen.name() + "'s, which registered first";
            candidates.add(new Candidate(b.name(), b.ranking(), true, why));
        }
        candidates.addAll(refused);
        String reason = pinned != null ? "pinned backend " + chosen.name() + " is eligible"
            : (preferred != eligible ? "performance backend " : "eligible backend ") + "with the highest ranking ("
                + chosen.ranking() + ") among " + eligible.size() + " eligible";
        return new PlacementDecision(spec.name(), required, pinned, chosen.name(), reason, List.copyOf(candidates), now);
    }

    /** Why {@code b} cannot take the VM, or null when it can. */
    private static String refusal(Backend b, VmSpec spec, Set<Feature> required, String pinned) {
        if (pinned != null && !pinned.equals(b.name())) return "not pinned";
        HypervisorCapabilities caps = b.capabilities();
        if (!caps.capable() && caps.pending()) {
            // Not known yet (not connected or not probed): ask again now, it may have connected meanwhile; if it
            // still cannot tell, the refusal is for now (retryable, 503), unlike a backend that is not capable here.
            caps = b.capabilitiesAfresh();
            if (!caps.capable() && caps.pending()) return "unhealthy: not ready yet: " + caps.notCapableReason();
        }
        if (!caps.capable()) return "not capable: " + caps.notCapableReason();
        EnumSet<Feature> missing = required.isEmpty() ? EnumSet.noneOf(Feature.class) : EnumSet.copyOf(required);
        missing.removeAll(caps.features());
        if (!missing.isEmpty())
            return "lacks " + missing.stream().map(Enum::name).collect(Collectors.joining(", "));
        if (caps.maxVcpus() > 0 && spec.cpu().vcpus() > caps.maxVcpus())
            return "too small: " + spec.cpu().vcpus() + " vcpus > its maximum " + caps.maxVcpus();
        if (caps.maxMemoryMiB() > 0 && spec.memory().sizeMiB() > caps.maxMemoryMiB())
            return "too small: " + spec.memory().sizeMiB() + " MiB memory > its maximum " + caps.maxMemoryMiB() + " MiB";
        BackendHealth health = b.health();
        if (!health.isHealthy())
            return "unhealthy: " + (health.detail().isBlank() ? health.status().name() : health.detail());
        return null;
    }

    private static boolean hasFeature(Backend b, Feature f) {
        return b.capabilities().has(f);
    }

    /**
     * The error for a decision that placed nothing. Only health and presence can change by themselves, so
     * when those are the only obstacles the caller gets the retryable BackendUnavailableException.
     */
    static HypervisorException refusal(PlacementDecision d) {
        String message = "cannot place VM " + d.vmName() + ": " + d.reason();
        List<Candidate> considered = d.candidates().stream().filter(c -> !"not pinned".equals(c.reason())).toList();
        boolean transientOnly = considered.stream().allMatch(c -> c.reason().startsWith("unhealthy:"));
        if (considered.isEmpty() || transientOnly) return new BackendUnavailableException(message);
        Feature missing = considered.stream().map(Candidate::reason).filter(r -> r.startsWith("lacks "))
            .map(r -> Feature.valueOf(r.substring(6).split(", ")[0])).findFirst().orElse(null);
        return new UnsupportedFeatureException(missing, message);
    }
}
