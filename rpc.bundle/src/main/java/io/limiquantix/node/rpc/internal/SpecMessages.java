package io.limiquantix.node.rpc.internal;

import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.runtime.VmRecord;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The message of each VM's spec, kept while the node hands out the very same {@link VmSpec} object: the ledger
 * keeps one immutable spec per VM until the VM is redefined, and converting 10,000 specs again on every ListVMs
 * was a large part of its cost. A hit needs the same object (identity), so a changed spec is always converted
 * afresh. Bounded by the VMs of the last listing: {@link #retainOnly} drops every other VM's entry.
 */
final class SpecMessages {
    private record Entry(VmSpec spec, io.limiquantix.node.rpc.v1.VmSpec message) {
    }

    private volatile Map<String, Entry> entries = new ConcurrentHashMap<>();

    /** The message for {@code spec} of VM {@code id}, converted now unless it was for this very object. */
    io.limiquantix.node.rpc.v1.VmSpec of(String id, VmSpec spec) {
        Map<String, Entry> m = entries;
        Entry e = m.get(id);
        if (e != null && e.spec() == spec) return e.message();
        io.limiquantix.node.rpc.v1.VmSpec message = SpecWriter.vmSpec(spec);
        // Only VMs of the last listing are kept (a GetVM of a VM created since then converts each time).
        if (e != null) m.put(id, new Entry(spec, message));
        return message;
    }

    /** Keeps the entries of exactly these VMs (a listing), adding empty places for new ones. */
    void retainOnly(List<VmRecord> listed) {
        Map<String, Entry> old = entries;
        Map<String, Entry> next = new ConcurrentHashMap<>(Math.max(16, listed.size() * 2));
        for (VmRecord r : listed) {
            if (r.spec() == null) continue;
            Entry e = old.get(r.id());
            next.put(r.id(), e != null ? e : PLACE);
        }
        entries = next;
    }

    int size() {
        return entries.size();
    }

    /** A place for a VM whose spec has not been converted yet (matches no spec). */
    private static final Entry PLACE = new Entry(null, null);
}
