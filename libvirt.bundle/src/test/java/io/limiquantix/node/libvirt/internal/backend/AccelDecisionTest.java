package io.limiquantix.node.libvirt.internal.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.Accelerator;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AccelDecisionTest {
    private static final KvmProbe.Result WORKS = new KvmProbe.Result(true, "ran");
    private static final KvmProbe.Result HANGS = new KvmProbe.Result(false, "hung");

    @Test
    void autoFollowsTheProbe() {
        assertEquals(Accelerator.KVM, AccelDecision.decide(AccelDecision.Requested.AUTO, true, () -> WORKS).accelerator());
        AccelDecision tcg = AccelDecision.decide(AccelDecision.Requested.AUTO, true, () -> HANGS);
        assertEquals(Accelerator.TCG, tcg.accelerator());
        assertTrue(tcg.usable());
        assertTrue(tcg.reason().contains("hung"), "the reason carries the probe's words: " + tcg.reason());
    }

    @Test
    void forcedKvmWithoutKvmIsNotUsable() {
        AccelDecision d = AccelDecision.decide(AccelDecision.Requested.KVM, true, () -> HANGS);
        assertEquals(Accelerator.KVM, d.accelerator());
        assertFalse(d.usable());
        assertTrue(d.reason().contains("hung"));
        assertTrue(AccelDecision.decide(AccelDecision.Requested.KVM, true, () -> WORKS).usable());
    }

    @Test
    void tcgDoesNotProbe() {
        AtomicInteger probes = new AtomicInteger();
        AccelDecision d = AccelDecision.decide(AccelDecision.Requested.TCG, true, () -> {
            probes.incrementAndGet();
            return WORKS;
        });
        assertEquals(Accelerator.TCG, d.accelerator());
        assertEquals(0, probes.get());
    }

    @Test
    void withoutKvmInLibvirtNoProbeRuns() {
        AtomicInteger probes = new AtomicInteger();
        AccelDecision auto = AccelDecision.decide(AccelDecision.Requested.AUTO, false, () -> {
            probes.incrementAndGet();
            return WORKS;
        });
        assertEquals(Accelerator.TCG, auto.accelerator());
        assertTrue(auto.reason().contains("libvirt offers no kvm"), auto.reason());
        AccelDecision kvm = AccelDecision.decide(AccelDecision.Requested.KVM, false, () -> WORKS);
        assertFalse(kvm.usable());
        assertEquals(0, probes.get());
    }

    @Test
    void remoteHostsAreNotProbed() {
        assertEquals(Accelerator.TCG, AccelDecision.forRemote(AccelDecision.Requested.AUTO).accelerator());
        assertEquals(Accelerator.KVM, AccelDecision.forRemote(AccelDecision.Requested.KVM).accelerator());
    }

    @Test
    void parsing() {
        assertEquals(AccelDecision.Requested.AUTO, AccelDecision.Requested.parse(null));
        assertEquals(AccelDecision.Requested.KVM, AccelDecision.Requested.parse(" KVM "));
        assertEquals(AccelDecision.Requested.TCG, AccelDecision.Requested.parse("tcg"));
        assertNull(AccelDecision.Requested.parse("hvf"));
    }
}
