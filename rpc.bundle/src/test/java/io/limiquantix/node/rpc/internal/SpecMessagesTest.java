package io.limiquantix.node.rpc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.runtime.VmRecord;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpecMessagesTest {
    private static VmRecord record(VmSpec spec) {
        return new VmRecord(spec.id(), spec.name(), "test", VmState.STOPPED, "", spec, Instant.EPOCH, false, null);
    }

    @Test
    void theSameSpecObjectIsConvertedOnceAndAChangedOneAgain() {
        SpecMessages m = new SpecMessages();
        VmSpec a = VmSpec.builder("a").id("11111111-1111-4111-8111-111111111111").vcpus(1).memoryMiB(128).build();
        m.retainOnly(List.of(record(a)));
        io.limiquantix.node.rpc.v1.VmSpec first = m.of(a.id(), a);
        assertEquals(SpecWriter.vmSpec(a), first);
        assertSame(first, m.of(a.id(), a), "an unchanged spec is not converted again");
        VmSpec redefined = VmSpec.builder("a").id(a.id()).vcpus(2).memoryMiB(128).build();
        io.limiquantix.node.rpc.v1.VmSpec second = m.of(a.id(), redefined);
        assertEquals(2, second.getCpu().getVcpus(), "a changed spec is converted afresh");
        assertNotSame(second, m.of(a.id(), a));
    }

    @Test
    void onlyTheLastListingsVmsAreKept() {
        SpecMessages m = new SpecMessages();
        VmSpec a = VmSpec.builder("a").id("11111111-1111-4111-8111-111111111111").build();
        VmSpec b = VmSpec.builder("b").id("22222222-2222-4222-8222-222222222222").build();
        m.retainOnly(List.of(record(a), record(b)));
        m.of(a.id(), a);
        m.of(b.id(), b);
        assertEquals(2, m.size());
        m.retainOnly(List.of(record(b)));
        assertEquals(1, m.size(), "a deleted VM's entry goes with the next listing");
        VmSpec c = VmSpec.builder("c").id("33333333-3333-4333-8333-333333333333").build();
        m.of(c.id(), c);
        assertEquals(1, m.size(), "a VM not yet listed is converted but not kept (GetVM alone never grows the cache)");
    }
}
