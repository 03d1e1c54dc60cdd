package io.limiquantix.node.core.internal;

import io.limiquantix.node.api.VmStatus;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The last VM listing of one backend registration, for a backend whose events name every VM whose state
 * changed ({@link io.limiquantix.node.api.Hypervisor#eventsCoverStateChanges}). Listing 10,000 domains costs
 * libvirt ~150 ms of CPU; a listing served from here costs a map lookup per VM, plus one status call for each VM
 * an event named since (it is "marked").
 *
 * <p>Correctness rests on ordering, not on timing: a listing installs only if nothing invalidated everything
 * while it ran (the epoch), and a VM marked after a listing (or a status answer) began stays marked when that
 * answer arrives, because it may have changed after being read. A backend-level event (its connection lost or
 * back, events dropped) invalidates everything. The cache is off until the runtime has subscribed to the
 * backend's events ({@link #enable}): a listing taken before could miss a change nobody was told about.
 *
 * <p>As a safety net against a backend that breaks its promise, a listing older than {@link #REFRESH_MS} is
 * re-taken in the background when served, and one older than {@link #MAX_AGE_MS} is not served at all.
 */
final class ListingCache {
    static final long REFRESH_MS = 10_000;
    static final long MAX_AGE_MS = 60_000;
    static final int MAX_MARKS = 100_000;
    /** How long after a failed background listing the next may start (a backend that is down is not hammered). */
    static final long RETRY_MS = 2_000;

    /** A point in the cache's history, taken before asking the backend. */
    record Ticket(long epoch, long seq, long startedNanos) {}

    /**
     * What a listing may use: the statuses (shared, read-only for the caller), the VMs that must be asked about
     * one by one, and whether the listing is old enough to be re-taken in the background.
     */
    record Served(Map<String, VmStatus> statuses, Set<String> marked, boolean refreshDue, Ticket ticket) {}

    private final LongSupplier clock;
    private boolean enabled;
    private long epoch;
    private long seq;
    private Map<String, VmStatus> statuses;
    private long takenNanos;
    private boolean refreshing;
    private boolean refreshFailed;
    private long refreshEndedNanos;
    /** VMs to ask about one by one, with the sequence number of their latest mark. */
    private final Map<String, Long> marked = new HashMap<>();
    /** Every mark since the oldest listing still running, so that its answer cannot unmark a newer change. */
    private final Map<String, Long> recentMarks = new HashMap<>();

    ListingCache() {
        this(System::nanoTime);
    }

    ListingCache(LongSupplier clock) {
        this.clock = clock;
    }

    /** From now on events reach the runtime: listings taken from here on may be kept. */
    synchronized void enable() {
        enabled = true;
        invalidateAllLocked();
    }

    synchronized boolean enabled() {
        return enabled;
    }

    /** An event named the VM: its state may have changed. */
    synchronized void mark(String vmId) {
        if (!enabled || vmId == null) return;
        long s = ++seq;
        marked.put(vmId, s);
        recentMarks.put(vmId, s);
        if (recentMarks.size() > MAX_MARKS) invalidateAllLocked(); // VMs come and go and nobody lists: start over
    }

    /** The backend may have changed anything without saying so (its event stream broke). */
    synchronized void invalidateAll() {
        invalidateAllLocked();
    }

    private void invalidateAllLocked() {
        epoch++;
        statuses = null;
        marked.clear();
        recentMarks.clear();
    }

    synchronized Ticket ticket() {
        return new Ticket(epoch, seq, clock.getAsLong());
    }

    /** What a listing may use now, or null when it must ask the backend for everything. */
    synchronized Served serve() {
        if (!enabled || statuses == null) return null;
        long ageMs = (clock.getAsLong() - takenNanos) / 1_000_000;
        if (ageMs > MAX_AGE_MS) return null;
        return new Served(statuses, Set.copyOf(marked.keySet()), ageMs > REFRESH_MS, new Ticket(epoch, seq, clock.getAsLong()));
    }

    /** One VM's kept status (null: it must be asked), and whether a background listing is wanted. */
    record Kept(VmStatus status, boolean listingWanted) {}

    private static final Kept NOTHING = new Kept(null, false);

    /** For one VM: its status when the kept listing has it and no event named it since (no copy of anything). */
    synchronized Kept kept(String vmId) {
        if (!enabled) return NOTHING;
        if (statuses == null) return new Kept(null, !refreshing);
        long ageMs = (clock.getAsLong() - takenNanos) / 1_000_000;
        boolean wanted = ageMs > REFRESH_MS && !refreshing;
        if (ageMs > MAX_AGE_MS || marked.containsKey(vmId)) return new Kept(null, wanted);
        return new Kept(statuses.get(vmId), wanted);
    }

    /** A whole listing, asked for after {@code t} was taken. Ignored when something invalidated everything since. */
    synchronized boolean install(Ticket t, List<VmStatus> listing) {
        if (!enabled || t.epoch() != epoch) return false;
        if (statuses != null && takenNanos - t.startedNanos() > 0) return false; // a newer listing is already here
        Map<String, VmStatus> m = new ConcurrentHashMap<>(Math.max(16, listing.size() * 4 / 3 + 1));
        for (VmStatus s : listing) if (s != null && s.id() != null) m.put(s.id(), s);
        statuses = m;
        takenNanos = t.startedNanos();
        marked.clear();
        recentMarks.values().removeIf(s -> s <= t.seq());
        for (Map.Entry<String, Long> r : recentMarks.entrySet()) marked.put(r.getKey(), r.getValue());
        return true;
    }

    /**
     * One VM's status, asked for after {@code t} was taken ({@code status} null: the backend does not have it).
     * It replaces the listed one and unmarks the VM unless the VM was marked again since.
     */
    synchronized void settle(Ticket t, String vmId, VmStatus status) {
        if (!enabled || t.epoch() != epoch || statuses == null) return;
        Long m = marked.get(vmId);
        if (m != null && m > t.seq()) return;
        if (status == null) statuses.remove(vmId);
        else statuses.put(vmId, status);
        marked.remove(vmId);
    }

    /** How many VMs may be asked about one by one before a whole listing is cheaper. */
    static int askBudget(int vms) {
        return Math.max(32, vms / 16);
    }

    /** True when the caller may start the one background re-listing; it must call {@link #endRefresh} after. */
    synchronized boolean beginRefresh() {
        if (refreshing || (refreshFailed && (clock.getAsLong() - refreshEndedNanos) / 1_000_000 < RETRY_MS)) return false;
        refreshing = true;
        return true;
    }

    /** The background listing ended; after a failed one the next waits {@link #RETRY_MS}. */
    synchronized void endRefresh(boolean ok) {
        refreshing = false;
        refreshFailed = !ok;
        refreshEndedNanos = clock.getAsLong();
    }

    synchronized boolean hasListing() {
        return statuses != null;
    }

    synchronized int markedCount() {
        return marked.size();
    }
}
