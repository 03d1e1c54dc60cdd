package io.limiquantix.node.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.Subscription;
import io.limiquantix.node.api.VmEvent;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EventFanOutTest {
    private final EventFanOut fanOut = new EventFanOut();

    @AfterEach
    void close() {
        fanOut.close();
    }

    private static VmEvent event(int n) {
        return new VmEvent(VmEvent.Type.STARTED, "vm-" + n, "vm", "qemu", Integer.toString(n), null);
    }

    @Test
    void aBlockedSubscriberDoesNotHoldUpTheOthersAndEachSeesItsEventsInOrder() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch blockedGotFirst = new CountDownLatch(1);
        fanOut.subscribe(e -> {
            blockedGotFirst.countDown();
            try {
                release.await();
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        });
        fanOut.subscribe(e -> { throw new IllegalStateException("broken subscriber"); });
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch all = new CountDownLatch(100);
        fanOut.subscribe(e -> {
            seen.add(e.detail());
            all.countDown();
        });
        for (int i = 0; i < 100; i++) fanOut.publish(event(i));
        assertTrue(all.await(10, TimeUnit.SECONDS), "the healthy subscriber got every event");
        assertTrue(blockedGotFirst.await(10, TimeUnit.SECONDS));
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 100; i++) expected.add(Integer.toString(i));
        assertEquals(expected, seen);
        release.countDown();
    }

    @Test
    void aSubscriberThatFallsBehindLosesItsOldestEventsAndTheyAreCounted() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        fanOut.subscribe(e -> {
            try {
                release.await();
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            seen.add(e.detail());
        });
        int total = EventFanOut.QUEUE_CAPACITY + 500;
        for (int i = 0; i < total; i++) fanOut.publish(event(i));
        release.countDown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!seen.contains(Integer.toString(total - 1)) && System.nanoTime() < deadline) Thread.sleep(10);
        assertTrue(fanOut.dropped() >= 499, "dropped " + fanOut.dropped());
        assertEquals(Integer.toString(total - 1), seen.get(seen.size() - 1), "the newest event is delivered");
        assertEquals(total - fanOut.dropped(), seen.size());
    }

    @Test
    void aClosedSubscriptionReceivesNothingMore() throws Exception {
        List<VmEvent> seen = Collections.synchronizedList(new ArrayList<>());
        Subscription s = fanOut.subscribe(seen::add);
        s.close();
        s.close();
        fanOut.publish(event(1));
        Thread.sleep(50);
        assertTrue(seen.isEmpty());
    }
}
