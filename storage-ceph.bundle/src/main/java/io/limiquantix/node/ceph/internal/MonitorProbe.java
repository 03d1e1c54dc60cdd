package io.limiquantix.node.ceph.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * Tells "no monitor answers" from "a monitor answers but will not let us in". librados reports both as
 * ETIMEDOUT after client_mount_timeout: with a wrong cephx key the monitor refuses the authentication and
 * the client keeps hunting until it gives up. A monitor greets every new connection with its messenger
 * banner ({@code ceph v2} or {@code ceph v027}), so reading that banner is a cheap, certain way to know
 * that the monitor itself is up and reachable.
 */
final class MonitorProbe {
    private MonitorProbe() {}

    /** The first monitor that greets us as a Ceph monitor within {@code budget} overall, or null. */
    static String firstAnswering(List<String> monitors, Duration budget) {
        long end = System.nanoTime() + budget.toNanos();
        for (String monitor : monitors) {
            long left = Duration.ofNanos(end - System.nanoTime()).toMillis();
            if (left <= 0) return null;
            if (greets(monitor, (int) Math.min(left, 1000))) return monitor;
        }
        return null;
    }

    private static boolean greets(String monitor, int timeoutMillis) {
        int colon = monitor.lastIndexOf(':');
        String host = monitor.substring(0, colon).replace("[", "").replace("]", "");
        int port = Integer.parseInt(monitor.substring(colon + 1));
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), timeoutMillis);
            s.setSoTimeout(timeoutMillis);
            InputStream in = s.getInputStream();
            byte[] banner = in.readNBytes(6);
            return new String(banner, StandardCharsets.US_ASCII).equals("ceph v");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
