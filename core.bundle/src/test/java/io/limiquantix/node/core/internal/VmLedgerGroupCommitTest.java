package io.limiquantix.node.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.VmState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Changes made at the same time share ledger writes (group commit, for creating thousands of VMs): each one is
 * still checked against the ledger as the changes before it leave it, refused alone when it must be, and on
 * disk when its call returns.
 */
class VmLedgerGroupCommitTest {
    @TempDir
    Path dir;

    private static String id(int t, int i) {
        return String.format(Locale.ROOT, "%08x-0000-4000-8000-%012x", t, i);
    }

    @Test
    void concurrentChangesAllReachTheDiskAndEachIsCheckedAgainstTheOnesBefore() throws Exception {
        int threads = 12;
        int each = 40;
        AtomicInteger nameWins = new AtomicInteger();
        AtomicInteger nameConflicts = new AtomicInteger();
        Set<Throwable> unexpected = ConcurrentHashMap.newKeySet();
        try (VmLedger ledger = VmLedger.open(dir)) {
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> all = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                all.add(new Thread(() -> {
                    try {
                        go.await();
                        for (int i = 0; i < each; i++) {
                            ledger.insert(VmEntry.adopted(id(thread, i), "vm-" + thread + "-" + i, "test", VmState.STOPPED, ""), true);
                            // every other VM gets a pending marker, every fourth is removed again
                            if (i % 2 == 0) ledger.update(id(thread, i), e -> e.withPending("start"));
                            if (i % 4 == 0) ledger.remove(id(thread, i));
                        }
                        // every thread races for the same name: exactly one may have it
                        try {
                            ledger.insert(VmEntry.adopted(id(thread, 999), "contested", "test", VmState.STOPPED, ""), true);
                            nameWins.incrementAndGet();
                        } catch (ConflictException expected) {
                            nameConflicts.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        unexpected.add(e);
                    }
                }));
            }
            all.forEach(Thread::start);
            go.countDown();
            for (Thread th : all) th.join(120_000);
        }
        assertTrue(unexpected.isEmpty(), "unexpected failures: " + unexpected);
        assertEquals(1, nameWins.get(), "one insert gets the contested name");
        assertEquals(threads - 1, nameConflicts.get(), "every other one is refused");

        try (VmLedger reopened = VmLedger.open(dir)) {
            Set<String> ids = reopened.all().stream().map(VmEntry::id).collect(Collectors.toSet());
            for (int t = 0; t < threads; t++) {
                for (int i = 0; i < each; i++) {
                    boolean removed = i % 4 == 0;
                    assertEquals(!removed, ids.contains(id(t, i)), "VM " + id(t, i) + (removed ? " was removed" : " was inserted"));
                    if (!removed) assertEquals(i % 2 == 0 ? "start" : null, reopened.get(id(t, i)).orElseThrow().pendingOperation(),
                        "the marker of " + id(t, i));
                }
            }
            assertEquals(threads * each * 3 / 4 + 1, ids.size());
        }
    }
}
