package io.limiquantix.node.rpc.internal;

import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.rpc.v1.Vm;
import io.limiquantix.node.runtime.VmRecord;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The message of each listed VM, kept while nothing in its record changes: the ledger keeps one immutable
 * {@link VmSpec} per VM until the VM is redefined, and converting 10,000 specs again on every ListVMs was a large
 * part of its cost; a kept {@link Vm} also keeps protobuf's memoized sizes, so serializing it again is cheaper.
 * A spec hit needs the same object (identity), so a changed spec is always converted afresh; a whole-message hit
 * needs every other field of the record equal too. Bounded by the VMs of the last listing: {@link #retainOnly}
 * drops every other VM's entry.
 */
final class VmMessages {
    private record Entry(VmSpec spec, io.limiquantix.node.rpc.v1.VmSpec message, VmRecord record, Vm vm) {
    }

    private volatile Map<String, Entry> entries = new ConcurrentHashMap<>();

    /** The message for {@code spec} of VM {@code id}, converted now unless it was for this very object. */
    io.limiquantix.node.rpc.v1.VmSpec of(String id, VmSpec spec) {
        Map<String, Entry> m = entries;
        Entry e = m.get(id);
        if (e != null && e.spec() == spec) return e.message();
        io.limiquantix.node.rpc.v1.VmSpec message = SpecWriter.vmSpec(spec);
        // Only VMs of the last listing are kept (a GetVM of a VM created since then converts each time).
        if (e != null) m.put(id, new Entry(spec, message, null, null));
        return message;
    }

    /** The whole message of the VM (spec included): the kept one when the record is as it was. */
    Vm vm(VmRecord r) {
        Map<String, Entry> m = entries;
        Entry e = m.get(r.id());
        if (e != null && e.vm() != null && sameRecord(e.record(), r)) return e.vm();
        io.limiquantix.node.rpc.v1.VmSpec spec = null;
        if (r.spec() != null) spec = e != null && e.spec() == r.spec() ? e.message() : SpecWriter.vmSpec(r.spec());
        Vm.Builder b = ReplyMapper.basic(r);
        if (spec != null) b.setSpec(spec);
        Vm vm = b.build();
        if (e != null) m.put(r.id(), new Entry(r.spec(), spec, r, vm));
        return vm;
    }

    /** Equal in every field a message carries, the spec by identity (see the class comment). */
    private static boolean sameRecord(VmRecord a, VmRecord b) {
        return a.spec() == b.spec() && a.id().equals(b.id()) && a.state() == b.state() && a.adopted() == b.adopted()
            && Objects.equals(a.name(), b.name()) && Objects.equals(a.backend(), b.backend())
            && Objects.equals(a.stateReason(), b.stateReason()) && Objects.equals(a.createdAt(), b.createdAt())
            && Objects.equals(a.pendingOperation(), b.pendingOperation());
    }

    /** Keeps the entries of exactly these VMs (a listing), adding empty places for new ones. */
    void retainOnly(List<VmRecord> listed) {
        Map<String, Entry> old = entries;
        Map<String, Entry> next = new ConcurrentHashMap<>(Math.max(16, listed.size() * 2));
        for (VmRecord r : listed) {
            Entry e = old.get(r.id());
            next.put(r.id(), e != null ? e : PLACE);
        }
        entries = next;
    }

    int size() {
        return entries.size();
    }

    /** A place for a VM whose messages have not been made yet (matches no spec and no record). */
    private static final Entry PLACE = new Entry(null, null, null, null);
}
