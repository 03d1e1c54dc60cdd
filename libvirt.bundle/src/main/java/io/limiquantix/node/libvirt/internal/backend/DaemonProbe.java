package io.limiquantix.node.libvirt.internal.backend;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;

/** Whether a libvirt daemon answers at a URI, asked with a bounded wait so that a hung daemon holds no one up. */
public final class DaemonProbe {
    private DaemonProbe() {}

    /** Null when a libvirtd answers at {@code uri}, else why not. The connect runs on a throwaway thread. */
    public static String answers(String uri, long timeoutSeconds) {
        java.util.concurrent.ExecutorService once = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "lq-libvirt-probe");
            t.setDaemon(true);
            return t;
        });
        try {
            Future<String> f = once.submit(() -> {
                Connect c = new Connect(uri, true);
                try {
                    c.getLibVersion();
                    return null;
                } finally {
                    c.close();
                }
            });
            return f.get(timeoutSeconds, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            return uri + " did not answer within " + timeoutSeconds + " s";
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            String msg = cause instanceof LibvirtException le && le.getError() != null ? le.getError().getMessage() : String.valueOf(cause);
            return uri + " does not answer: " + msg;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } finally {
            // A hung connect is abandoned on its daemon thread rather than holding anyone up.
            once.shutdownNow();
        }
    }
}
