package io.limiquantix.node.itest;

import static org.junit.Assert.fail;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits for something asynchronous (a service registration, a guest booting) with a bounded deadline. */
final class Await {
    private Await() {}

    static void until(String what, long timeoutMillis, BooleanSupplier condition) {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) fail("timed out after " + timeoutMillis + " ms waiting for " + what);
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for " + what);
            }
        }
    }

    static <T> T value(String what, long timeoutMillis, Supplier<T> supplier) {
        Object[] box = new Object[1];
        until(what, timeoutMillis, () -> (box[0] = supplier.get()) != null);
        @SuppressWarnings("unchecked") T t = (T) box[0];
        return t;
    }
}
