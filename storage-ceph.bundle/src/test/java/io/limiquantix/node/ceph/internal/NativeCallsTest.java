package io.limiquantix.node.ceph.internal;

import static org.junit.jupiter.api.Assertions.*;

import io.limiquantix.node.api.BackendUnavailableException;
import io.limiquantix.node.api.NotFoundException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The Java-side deadline: a call that never returns does not hold its caller. */
class NativeCallsTest {
    @Test
    void callerStopsWaitingAtTheDeadline() {
        CountDownLatch never = new CountDownLatch(1);
        try (NativeCalls calls = new NativeCalls("t")) {
            BackendUnavailableException e = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> assertThrows(BackendUnavailableException.class,
                () -> calls.run("stuck call", Duration.ofMillis(200), () -> never.await(1, TimeUnit.HOURS))));
            assertTrue(e.getMessage().contains("stuck call did not finish within"), e.getMessage());
        } finally {
            never.countDown();
        }
    }

    @Test
    void typedErrorsPassThroughAndThePoolIsBounded() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (NativeCalls calls = new NativeCalls("t")) {
            assertThrows(NotFoundException.class, () -> calls.run("x", Duration.ofSeconds(5), () -> {
                throw new NotFoundException("gone");
            }));
            for (int i = 0; i < NativeCalls.MAX_THREADS; i++)
                calls.start("hold", () -> {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> calls.run("one more", Duration.ofSeconds(5), () -> 1));
            assertTrue(e.getMessage().contains("still waiting"), e.getMessage());
        } finally {
            release.countDown();
        }
    }
}
