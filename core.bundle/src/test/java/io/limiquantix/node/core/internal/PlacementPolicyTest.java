package io.limiquantix.node.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.BackendHealth;
import io.limiquantix.node.api.BackendUnavailableException;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.GuestOs;
import io.limiquantix.node.api.HypervisorCapabilities;
import io.limiquantix.node.api.HypervisorException;
import io.limiquantix.node.api.PlacementHints;
import io.limiquantix.node.api.UnsupportedFeatureException;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.runtime.PlacementDecision;
import io.limiquantix.node.runtime.PlacementDecision.Candidate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PlacementPolicyTest {
    private final BoundedCalls calls = new BoundedCalls(Duration.ofMillis(300));
    private final PlacementPolicy policy = new PlacementPolicy();
    private final RequirementDeriver deriver = new RequirementDeriver(n -> Optional.empty());
    private final List<Backend> backends = new ArrayList<>();
    private long nextId = 1;

    @AfterEach
    void close() {
        calls.close();
    }

    private InMemoryTestBackend add(String name, int ranking, InMemoryTestBackend h) {
        backends.add(new Backend(name, "memory", ranking, nextId++, h, calls));
        return h;
    }

    private PlacementDecision decide(VmSpec spec) {
        return policy.decide(spec, deriver.derive(spec), backends);
    }

    private static Candidate candidate(PlacementDecision d, String name) {
        return d.candidates().stream().filter(c -> c.backend().equals(name)).findFirst().orElseThrow();
    }

    private static VmSpec linux(String name) {
        return VmSpec.builder(name).vcpus(2).memoryMiB(1024).build();
    }

    @Test
    void highestRankingWinsAndTheOthersSayWhy() {
        add("low", 10, InMemoryTestBackend.linux());
        add("high", 100, InMemoryTestBackend.linux());
        PlacementDecision d = decide(linux("a"));
        assertEquals("high", d.chosen());
        assertEquals("ranking 10 < 100", candidate(d, "low").reason());
        assertTrue(candidate(d, "low").eligible());
        assertEquals(2, d.candidates().size());
    }

    @Test
    void equalRankingGoesToTheLowestServiceId() {
        add("first", 50, InMemoryTestBackend.linux());
        add("second", 50, InMemoryTestBackend.linux());
        assertEquals("first", decide(linux("a")).chosen());
    }

    @Test
    void backendsLackingAFeatureAreFilteredWithTheMissingOnes() {
        add("plain", 100, InMemoryTestBackend.linux());
        add("gpu", 1, InMemoryTestBackend.with(Feature.GPU_PASSTHROUGH));
        VmSpec spec = VmSpec.builder("g").gpu(new io.limiquantix.node.api.GpuRequest("0000:01:00.0", null, null, 1)).build();
        PlacementDecision d = decide(spec);
        assertEquals("gpu", d.chosen());
        assertEquals("lacks GPU_PASSTHROUGH", candidate(d, "plain").reason());
        assertFalse(candidate(d, "plain").eligible());
    }

    @Test
    void windowsNeverLandsOnABackendWithoutWindowsGuestEvenWhenPinnedOrTopRanked() {
        add("linux-only", 1000, InMemoryTestBackend.linux());
        VmSpec win = VmSpec.builder("w").os(GuestOs.windows("win2k22")).build();
        PlacementDecision d = decide(win);
        assertNull(d.chosen());
        assertEquals("lacks WINDOWS_GUEST", candidate(d, "linux-only").reason());
        HypervisorException e = PlacementPolicy.refusal(d);
        assertInstanceOf(UnsupportedFeatureException.class, e);
        assertEquals(Feature.WINDOWS_GUEST, ((UnsupportedFeatureException) e).feature());
        assertTrue(e.getMessage().contains("linux-only: lacks WINDOWS_GUEST"), e.getMessage());

        VmSpec pinned = VmSpec.builder("w2").os(GuestOs.windows(null)).placement(new PlacementHints("linux-only", false, false)).build();
        assertNull(decide(pinned).chosen());

        add("win", 1, InMemoryTestBackend.with(Feature.WINDOWS_GUEST));
        assertEquals("win", decide(win).chosen());
    }

    @Test
    void notCapableAndUnhealthyBackendsAreReportedWithTheirReasons() {
        // Capabilities are probed when a backend registers, so the double is set up before it is added.
        InMemoryTestBackend nokvm = InMemoryTestBackend.linux();
        nokvm.capabilities = HypervisorCapabilities.notCapable("cloudhv", "/dev/kvm is missing");
        add("ch", 500, nokvm);
        InMemoryTestBackend sick = add("sick", 400, InMemoryTestBackend.linux());
        sick.health = BackendHealth.unavailable("libvirtd is not answering");
        InMemoryTestBackend throwing = add("throws", 300, InMemoryTestBackend.linux());
        throwing.healthFailure = new IllegalStateException("boom");
        add("ok", 1, InMemoryTestBackend.linux());
        PlacementDecision d = decide(linux("a"));
        assertEquals("ok", d.chosen());
        assertEquals("not capable: /dev/kvm is missing", candidate(d, "ch").reason());
        assertEquals("unhealthy: libvirtd is not answering", candidate(d, "sick").reason());
        assertTrue(candidate(d, "throws").reason().startsWith("unhealthy: health check failed"), candidate(d, "throws").reason());
    }

    @Test
    void aHealthCallThatHangsCountsAsUnhealthyInsteadOfBlockingPlacement() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        InMemoryTestBackend hung = InMemoryTestBackend.linux();
        hung.healthGate = never;
        add("hung", 100, hung);
        add("ok", 1, InMemoryTestBackend.linux());
        PlacementDecision d = decide(linux("a"));
        assertEquals("ok", d.chosen());
        assertTrue(candidate(d, "hung").reason().contains("did not answer"), candidate(d, "hung").reason());
        never.countDown();
    }

    @Test
    void onlyUnhealthyBackendsGiveARetryableError() {
        add("sick", 1, InMemoryTestBackend.linux()).health = BackendHealth.unavailable("down");
        assertInstanceOf(BackendUnavailableException.class, PlacementPolicy.refusal(decide(linux("a"))));
    }

    @Test
    void aBackendNotCapableOnlyBecauseItIsNotConnectedGivesARetryableError() {
        // The libvirt backend right after its bundle (re)started: not connected yet, so it cannot know what it
        // offers. A pinned CreateVM must hear "retry" (503), not "never" (501) — seen in the soak during swaps.
        InMemoryTestBackend starting = InMemoryTestBackend.linux();
        starting.capabilities = HypervisorCapabilities.notYetKnown("libvirt", "not connected to qemu:///system yet");
        starting.health = BackendHealth.unavailable("connecting to qemu:///system");
        add("qemu", 100, starting);
        VmSpec pinned = VmSpec.builder("p").vcpus(1).memoryMiB(128).placement(new io.limiquantix.node.api.PlacementHints("qemu", false, false)).build();
        PlacementDecision d = decide(pinned);
        assertEquals(null, d.chosen());
        assertTrue(candidate(d, "qemu").reason().startsWith("unhealthy: not ready yet: not connected"), candidate(d, "qemu").reason());
        assertInstanceOf(BackendUnavailableException.class, PlacementPolicy.refusal(d));
        // Connected meanwhile, while the runtime still holds the answer from before: asked again, it is placeable.
        starting.health = BackendHealth.healthy("connected");
        starting.capabilities = InMemoryTestBackend.linux().capabilities;
        assertEquals("qemu", decide(pinned).chosen(), "a not-capable answer older than the connection is asked again");
        // (A healthy backend that stays not capable is a lasting refusal: notCapableAndUnhealthyBackendsAre...)
    }

    @Test
    void noBackendsAtAll() {
        PlacementDecision d = decide(linux("a"));
        assertFalse(d.placed());
        assertInstanceOf(BackendUnavailableException.class, PlacementPolicy.refusal(d));
    }

    @Test
    void pinnedBackendIsHonouredOverRanking() {
        add("high", 100, InMemoryTestBackend.linux());
        add("low", 1, InMemoryTestBackend.linux());
        VmSpec spec = VmSpec.builder("p").placement(new PlacementHints("low", false, false)).build();
        PlacementDecision d = decide(spec);
        assertEquals("low", d.chosen());
        assertEquals("low", d.pinned());
        assertEquals("not pinned", candidate(d, "high").reason());
    }

    @Test
    void pinnedBackendThatIsNotEligibleIsRefusedWithoutFallback() {
        add("good", 100, InMemoryTestBackend.linux());
        add("sick", 1, InMemoryTestBackend.linux()).health = BackendHealth.unavailable("maintenance");
        VmSpec spec = VmSpec.builder("p").placement(new PlacementHints("sick", false, false)).build();
        PlacementDecision d = decide(spec);
        assertNull(d.chosen());
        assertEquals("unhealthy: maintenance", candidate(d, "sick").reason());
        assertTrue(d.reason().contains("sick: unhealthy: maintenance"), d.reason());

        VmSpec absent = VmSpec.builder("q").placement(new PlacementHints("nope", false, false)).build();
        PlacementDecision none = decide(absent);
        assertNull(none.chosen());
        assertTrue(none.reason().contains("pinned backend 'nope' is not present"), none.reason());
    }

    @Test
    void performanceLinuxVmPrefersAPerformanceBackendOverRanking() {
        add("general", 100, InMemoryTestBackend.linux());
        add("fast", 5, InMemoryTestBackend.with(Feature.PERFORMANCE_PROFILE));
        VmSpec perf = VmSpec.builder("p").placement(new PlacementHints(null, true, false)).build();
        PlacementDecision d = decide(perf);
        assertEquals("fast", d.chosen());
        assertTrue(candidate(d, "general").reason().contains("PERFORMANCE_PROFILE"));
        assertEquals("general", decide(linux("plain")).chosen(), "without the hint, ranking decides");
    }

    @Test
    void performanceHintDoesNotOverrideWindowsRequirements() {
        add("fast", 100, InMemoryTestBackend.with(Feature.PERFORMANCE_PROFILE));
        add("win", 1, InMemoryTestBackend.with(Feature.WINDOWS_GUEST));
        VmSpec w = VmSpec.builder("w").os(GuestOs.windows(null)).placement(new PlacementHints(null, true, false)).build();
        assertEquals("win", decide(w).chosen());
    }

    @Test
    void limitsAreRespectedAndZeroMeansNoLimit() {
        add("small", 100, new InMemoryTestBackend(InMemoryTestBackend.LINUX_BASICS, 4, 2048));
        add("unlimited", 1, new InMemoryTestBackend(InMemoryTestBackend.LINUX_BASICS, 0, 0));
        PlacementDecision big = decide(VmSpec.builder("big").vcpus(8).memoryMiB(1024).build());
        assertEquals("unlimited", big.chosen());
        assertTrue(candidate(big, "small").reason().contains("8 vcpus"));
        PlacementDecision fat = decide(VmSpec.builder("fat").vcpus(2).memoryMiB(4096).build());
        assertEquals("unlimited", fat.chosen());
        assertTrue(candidate(fat, "small").reason().contains("4096 MiB"));
        assertEquals("small", decide(VmSpec.builder("fits").vcpus(4).memoryMiB(2048).build()).chosen());
    }

    @Test
    void aBackendThatWasNotCapableYetIsAskedAgainAndBecomesPlaceable() throws Exception {
        InMemoryTestBackend connecting = InMemoryTestBackend.linux();
        HypervisorCapabilities real = connecting.capabilities;
        connecting.capabilities = HypervisorCapabilities.notCapable("libvirt", "not connected to qemu:///system yet");
        add("qemu", 1, connecting);
        PlacementDecision before = decide(linux("a"));
        assertNull(before.chosen());
        assertEquals("not capable: not connected to qemu:///system yet", candidate(before, "qemu").reason());
        connecting.capabilities = real;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        PlacementDecision after = before;
        while (after.chosen() == null && System.nanoTime() < deadline) {
            Thread.sleep(100);
            after = decide(linux("a"));
        }
        assertEquals("qemu", after.chosen(), "re-probed after " + Backend.RECHECK_MS + " ms");
    }

    @Test
    void capabilitiesAreProbedOncePerRegistration() {
        InMemoryTestBackend h = add("a", 1, InMemoryTestBackend.linux());
        for (int i = 0; i < 5; i++) decide(linux("x" + i));
        assertEquals(1, h.capabilityProbes.get());
    }
}
