package io.limiquantix.node.rpc.internal;

import io.limiquantix.node.runtime.NodeService;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.Dictionary;
import java.util.function.Function;
import org.osgi.service.cm.ManagedService;

/**
 * Runs the server while NodeService is present, and follows the configuration {@value RpcConfig#PID}: a
 * changed configuration restarts the server, an unchanged one leaves it alone (ConfigAdmin delivers the
 * configuration once more after registration). A configuration that is refused (non-loopback without mutual
 * TLS, a bad value, an unreadable token file) is logged and the node does not listen at all: better no API
 * than one somewhere the operator did not ask for.
 */
final class RpcLifecycle implements ManagedService {
    private static final System.Logger LOG = System.getLogger(RpcLifecycle.class.getName());

    /** Offers the JSON-over-HTTP gateway (Felix HTTP whiteboard); closing the result withdraws and closes it. */
    interface JsonPublisher {
        /** {@code consoles}: the console WebSocket proxy to serve beside the JSON API. */
        AutoCloseable publish(JsonGateway gateway, ConsoleProxy consoles);
    }

    private final Function<String, String> framework;
    private final JsonPublisher json;
    private AutoCloseable published;
    private volatile NodeService node; // injected by Dependency Manager
    /** Console tickets: issued by CreateConsoleSession (gRPC and JSON), redeemed by the console WebSocket. */
    private final ConsoleTickets consoles;
    private Dictionary<String, ?> configuration;
    private boolean started;
    private RpcServer server;
    private RpcConfig running;
    private boolean background;
    private Thread starter;
    private Runnable afterFirstStart;

    RpcLifecycle(Function<String, String> framework) {
        this(framework, (gateway, consoles) -> gateway);
    }

    RpcLifecycle(Function<String, String> framework, JsonPublisher json) {
        this.framework = framework;
        this.json = json;
        this.consoles = new ConsoleTickets(java.time.Clock.systemUTC(), ticketLifetime(framework));
    }

    /** Framework property {@value #TICKET_SECONDS}: how long a console ticket may wait to be used (1 to 600 s, default 30). */
    static final String TICKET_SECONDS = "limiquantix.rpc.consoleTicketSeconds";

    static java.time.Duration ticketLifetime(Function<String, String> framework) {
        String v = framework.apply(TICKET_SECONDS);
        if (v == null || v.isBlank()) return ConsoleTickets.DEFAULT_LIFETIME;
        try {
            int seconds = Integer.parseInt(v.strip());
            if (seconds >= 1 && seconds <= 600) return java.time.Duration.ofSeconds(seconds);
        } catch (NumberFormatException e) {
            // refused below
        }
        LOG.log(Level.ERROR, TICKET_SECONDS + "=" + v + " refused (1 to 600 seconds); console tickets last "
            + ConsoleTickets.DEFAULT_LIFETIME.toSeconds() + " s");
        return ConsoleTickets.DEFAULT_LIFETIME;
    }

    /**
     * Binds the server on a thread of its own when {@link #startInBackground} was asked for (the node's bundle
     * does: gRPC's classes take a few hundred milliseconds to load, which the framework's start thread spends on
     * the other bundles meanwhile), else at once. Either way {@code afterFirstStart} runs once after the first
     * attempt, listening or not.
     */
    void start() {
        Thread t;
        synchronized (this) {
            started = true;
            if (!background) {
                apply();
                t = null;
            } else {
                t = new Thread(() -> {
                    synchronized (RpcLifecycle.this) {
                        if (started) apply();
                    }
                    announceFirstStart();
                }, "lq-rpc-start");
                t.setDaemon(true);
                starter = t;
            }
        }
        if (t != null) t.start();
        else announceFirstStart();
    }

    void stop() {
        Thread t;
        synchronized (this) {
            started = false;
            t = starter;
            starter = null;
        }
        // A start still binding finishes first (it holds the lock while it does), so that no server outlives this.
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            closeServer();
        }
    }

    /** Start in the background from now on (see {@link #start}); {@code then} runs once after the first start. */
    synchronized RpcLifecycle startInBackground(Runnable then) {
        background = true;
        afterFirstStart = then;
        return this;
    }

    private void announceFirstStart() {
        Runnable then;
        synchronized (this) {
            then = afterFirstStart;
            afterFirstStart = null;
        }
        if (then == null) return;
        try {
            then.run();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not announce that the gRPC API has started: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void updated(Dictionary<String, ?> properties) {
        configuration = properties;
        if (started) apply();
    }

    /** The port the server listens on, or -1; for tests and the log. */
    synchronized int port() {
        return server == null ? -1 : server.port();
    }

    private void apply() {
        Dictionary<String, ?> props = configuration;
        RpcConfig config;
        try {
            config = RpcConfig.from(key -> props == null ? null : props.get(key), framework);
        } catch (IllegalArgumentException e) {
            LOG.log(Level.ERROR, "gRPC API not listening: configuration " + RpcConfig.PID + " refused: " + e.getMessage());
            closeServer();
            return;
        }
        if (config.equals(running) && server != null) return;
        closeServer();
        String token;
        try {
            token = TokenFile.loadOrCreate(config.tokenFile());
            server = RpcServer.start(config, RpcServer.service(() -> node, token, consoles));
            running = config;
            LOG.log(Level.INFO, "gRPC API listening on " + config.bind().getHostAddress() + ":" + server.port()
                + (config.mutualTls() ? " with mutual TLS" : " (plaintext, loopback only)") + "; token in " + config.tokenFile());
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.ERROR, "gRPC API not listening on " + config.bind().getHostAddress() + ":" + config.port() + ": "
                + e.getMessage(), e);
            return;
        }
        // The same service, token and size limit as JSON over HTTP, served where the HTTP runtime listens.
        try {
            published = json.publish(new JsonGateway(RpcServer.service(() -> node, token, consoles), token,
                config.maxMessageBytes()).withNode(() -> node), new ConsoleProxy(() -> node, consoles));
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.ERROR, "JSON over HTTP not offered: " + e.getMessage(), e);
        }
    }

    private void closeServer() {
        if (published != null) {
            try {
                published.close();
            } catch (Exception e) {
                LOG.log(Level.WARNING, "JSON over HTTP did not close cleanly: " + e.getMessage(), e);
            }
            published = null;
        }
        if (server != null) {
            server.close();
            LOG.log(Level.INFO, "gRPC API stopped");
        }
        server = null;
        running = null;
    }
}
