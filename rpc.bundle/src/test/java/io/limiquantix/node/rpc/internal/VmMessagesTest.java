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

class VmMessagesTest {
    private static VmRecord record(VmSpec spec) {
        return new VmRecord(spec.id(), spec.name(), "test", VmState.STOPPED, "", spec, Instant.EPOCH, false, null);
    }

    @Test
    void theSameSpecObjectIsConvertedOnceAndAChangedOneAgain() {
        VmMessages m = new VmMessages();
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
        VmMessages m = new VmMessages();
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

    @Test
    void aListedVmsMessageIsKeptUntilSomethingInItsRecordChanges() {
        VmMessages m = new VmMessages();
        VmSpec a = VmSpec.builder("a").id("11111111-1111-4111-8111-111111111111").vcpus(1).memoryMiB(128).build();
        VmRecord stopped = record(a);
        m.retainOnly(List.of(stopped));
        io.limiquantix.node.rpc.v1.Vm first = m.vm(stopped);
        assertEquals(ReplyMapper.vm(stopped), first);
        assertSame(first, m.vm(record(a)), "an equal record (same spec object) gives the kept message");

        VmRecord running = new VmRecord(a.id(), "a", "test", VmState.RUNNING, "booted", a, Instant.EPOCH, false, null);
        io.limiquantix.node.rpc.v1.Vm second = m.vm(running);
        assertEquals(io.limiquantix.node.rpc.v1.VmState.VM_STATE_RUNNING, second.getState());
        assertEquals("booted", second.getStateReason());
        assertSame(first.getSpec(), second.getSpec(), "the spec's message is still the converted one");
        VmRecord pending = new VmRecord(a.id(), "a", "test", VmState.RUNNING, "booted", a, Instant.EPOCH, false, "stop");
        assertEquals("stop", m.vm(pending).getPendingOperation());
        VmSpec redefined = VmSpec.builder("a").id(a.id()).vcpus(2).memoryMiB(128).build();
        VmRecord other = new VmRecord(a.id(), "a", "test", VmState.RUNNING, "booted", redefined, Instant.EPOCH, false, "stop");
        assertEquals(2, m.vm(other).getSpec().getCpu().getVcpus(), "a changed spec object is converted afresh");
    }
}
