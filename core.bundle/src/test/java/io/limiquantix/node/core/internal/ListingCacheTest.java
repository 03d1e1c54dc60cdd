package io.limiquantix.node.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.VmStatus;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The orderings that decide whether a cached listing may be served (see {@link ListingCache}). */
class ListingCacheTest {
    final AtomicLong now = new AtomicLong(1_000_000_000L);
    final ListingCache cache = new ListingCache(now::get);

    static VmStatus vm(String id, VmState s) {
        return new VmStatus(id, id, s, "", 1, 512, 0);
    }

    @Test
    void nothingIsKeptBeforeTheRuntimeSubscribedToTheEvents() {
        ListingCache.Ticket t = cache.ticket();
        assertFalse(cache.install(t, List.of(vm("a", VmState.RUNNING))));
        assertNull(cache.serve());
        cache.enable();
        assertTrue(cache.install(cache.ticket(), List.of(vm("a", VmState.RUNNING))));
        assertEquals(VmState.RUNNING, cache.serve().statuses().get("a").state());
    }

    @Test
    void aVmNamedWhileTheListingRanStaysMarked() {
        cache.enable();
        ListingCache.Ticket t = cache.ticket();
        cache.mark("a"); // changed after the listing may have read it
        cache.mark("x"); // not even in the listing
        assertTrue(cache.install(t, List.of(vm("a", VmState.STOPPED), vm("b", VmState.STOPPED))));
        assertEquals(Set.of("a", "x"), cache.serve().marked());

        ListingCache.Ticket later = cache.ticket();
        assertTrue(cache.install(later, List.of(vm("a", VmState.RUNNING), vm("b", VmState.STOPPED))));
        assertEquals(Set.of(), cache.serve().marked(), "marks older than the listing are answered by it");
    }

    @Test
    void aStatusAnswerDoesNotUnmarkAVmNamedAgainSinceItWasAsked() {
        cache.enable();
        cache.install(cache.ticket(), List.of(vm("a", VmState.STOPPED)));
        cache.mark("a");
        ListingCache.Served s = cache.serve();
        cache.mark("a"); // a second change while the first answer was on its way
        cache.settle(s.ticket(), "a", vm("a", VmState.RUNNING));
        assertEquals(Set.of("a"), cache.serve().marked());

        ListingCache.Served again = cache.serve();
        cache.settle(again.ticket(), "a", vm("a", VmState.PAUSED));
        assertEquals(Set.of(), cache.serve().marked());
        assertEquals(VmState.PAUSED, cache.serve().statuses().get("a").state());
    }

    @Test
    void aListingThatRanWhileEverythingWasInvalidatedIsNotKept() {
        cache.enable();
        ListingCache.Ticket t = cache.ticket();
        cache.invalidateAll(); // the connection broke while listing
        assertFalse(cache.install(t, List.of(vm("a", VmState.RUNNING))));
        assertNull(cache.serve());
    }

    @Test
    void anOlderListingDoesNotReplaceANewerOne() {
        cache.enable();
        ListingCache.Ticket older = cache.ticket();
        now.addAndGet(1_000_000);
        assertTrue(cache.install(cache.ticket(), List.of(vm("a", VmState.RUNNING))));
        assertFalse(cache.install(older, List.of(vm("a", VmState.STOPPED))));
        assertEquals(VmState.RUNNING, cache.serve().statuses().get("a").state());
    }

    @Test
    void anOldListingIsRefreshedInTheBackgroundAndATooOldOneIsNotServed() {
        cache.enable();
        cache.install(cache.ticket(), List.of(vm("a", VmState.RUNNING)));
        assertFalse(cache.serve().refreshDue());
        now.addAndGet((ListingCache.REFRESH_MS + 1) * 1_000_000);
        assertNotNull(cache.serve());
        assertTrue(cache.serve().refreshDue());
        assertTrue(cache.beginRefresh());
        assertFalse(cache.beginRefresh(), "one background listing at a time");
        cache.endRefresh(false);
        assertFalse(cache.beginRefresh(), "not again right after a failed one");
        now.addAndGet((ListingCache.RETRY_MS + 1) * 1_000_000);
        assertTrue(cache.beginRefresh());
        cache.endRefresh(true);
        assertTrue(cache.beginRefresh(), "after a good one, whenever wanted");
        cache.endRefresh(true);
        now.addAndGet(ListingCache.MAX_AGE_MS * 1_000_000);
        assertNull(cache.serve());
    }

    @Test
    void marksDoNotPileUpWhenNobodyLists() {
        cache.enable();
        for (int i = 0; i <= ListingCache.MAX_MARKS; i++) cache.mark("vm-" + i);
        assertEquals(0, cache.markedCount(), "past the bound everything starts over");
    }
}
