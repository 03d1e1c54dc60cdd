package io.limiquantix.node.core.internal;

import io.limiquantix.node.runtime.BackendView;
import io.limiquantix.node.runtime.NodeService;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.function.Supplier;

/**
 * Tells the operator, once, that the node is ready: how long it took from JVM start, which backends are
 * live (and why the others are not), and where to look. "Ready" is when the framework has started, every
 * bundle that declares readiness conditions ({@value ReadinessConditions#HEADER}) has registered them (the
 * libvirt bundle once its embedded defaults are registered and probed, the rpc bundle once the gRPC API
 * listens), every backend present has settled (connected and healthy, or definitively not capable), and the
 * set of backends has not changed for {@link #QUIET_MILLIS} (backends from configuration files arrive through
 * FileInstall and ConfigAdmin on their own threads) — or when the settle time has passed, whichever comes
 * first: a backend that never answers must not hide the others.
 */
final class ReadinessReport implements Runnable {
    private static final long POLL_MILLIS = 20;
    static final long QUIET_MILLIS = 250;
    private final NodeService node;
    private final NodeConfig config;
    private final Supplier<String> where;
    private final PrintStream out;
    private final long settleMillis;
    private final java.util.function.BooleanSupplier frameworkStarted;
    private final Supplier<List<String>> pending;
    private volatile Thread thread;

    ReadinessReport(NodeService node, NodeConfig config, Supplier<String> where, PrintStream out, long settleMillis,
                    java.util.function.BooleanSupplier frameworkStarted, Supplier<List<String>> pending) {
        this.node = node;
        this.frameworkStarted = frameworkStarted;
        this.pending = pending;
        this.config = config;
        this.where = where;
        this.out = out;
        this.settleMillis = settleMillis;
    }

    void start() {
        Thread t = new Thread(this, "lq-readiness-report");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    void stop() {
        Thread t = thread;
        if (t != null) t.interrupt();
    }

    static boolean settled(BackendView b) {
        if (b.health().isHealthy() && b.capabilities().capable()) return true;
        // A backend that is still connecting says so; anything else it reports is its final word for now.
        String why = b.capabilities().capable() ? b.health().detail() : b.capabilities().notCapableReason();
        return why != null && !why.contains("connecting") && !why.contains("not connected");
    }

    @Override
    public void run() {
        long deadline = System.currentTimeMillis() + settleMillis;
        try {
            List<BackendView> backends = node.backends();
            java.util.Set<String> names = names(backends);
            long quietSince = System.currentTimeMillis();
            List<String> waitingFor = pending.get();
            while (System.currentTimeMillis() < deadline) {
                boolean quiet = System.currentTimeMillis() - quietSince >= QUIET_MILLIS;
                if (quiet && frameworkStarted.getAsBoolean() && waitingFor.isEmpty() && !backends.isEmpty()
                    && backends.stream().allMatch(ReadinessReport::settled)) break;
                Thread.sleep(POLL_MILLIS);
                backends = node.backends();
                waitingFor = pending.get();
                java.util.Set<String> now = names(backends);
                if (!now.equals(names)) {
                    names = now;
                    quietSince = System.currentTimeMillis();
                }
            }
            out.println(render(backends, ManagementFactory.getRuntimeMXBean().getUptime(), waitingFor));
            out.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            out.println("LimiQuantix node: could not report readiness: " + e);
        }
    }

    private static java.util.Set<String> names(List<BackendView> backends) {
        java.util.Set<String> names = new java.util.HashSet<>();
        for (BackendView b : backends) names.add(b.name());
        return names;
    }

    String render(List<BackendView> backends, long uptimeMillis, List<String> waitingFor) {
        StringBuilder s = new StringBuilder();
        s.append(String.format("%nLimiQuantix node ready in %.1f s (since JVM start). Backends:%n", uptimeMillis / 1000.0));
        if (!waitingFor.isEmpty()) {
            s.append(String.format("  still waiting after %.1f s for: %s%n", settleMillis / 1000.0, String.join(", ", waitingFor)));
        }
        if (backends.isEmpty()) s.append("  (none yet: configure one in etc/, see README)\n");
        for (BackendView b : backends) {
            boolean live = b.capabilities().capable() && b.health().isHealthy();
            String detail = live ? "live, accelerator " + b.capabilities().accelerator()
                : b.capabilities().capable() ? "unhealthy: " + b.health().detail()
                : "not capable: " + b.capabilities().notCapableReason();
            s.append(String.format("  %-10s %-8s ranking %4d  %s%n", b.name(), b.type(), b.ranking(), detail));
        }
        s.append("  VMs known: ").append(node.listVms().size()).append("; ledger in ").append(config.dataDir()).append('\n');
        s.append(where.get());
        return s.toString();
    }
}
