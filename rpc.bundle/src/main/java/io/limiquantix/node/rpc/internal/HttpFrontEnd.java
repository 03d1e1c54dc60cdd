package io.limiquantix.node.rpc.internal;

import java.lang.System.Logger.Level;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Hashtable;
import java.util.List;
import java.util.TreeMap;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.util.tracker.ServiceTracker;
import org.osgi.util.tracker.ServiceTrackerCustomizer;

/**
 * Publishes {@link JsonServlet} to the OSGi servlet whiteboard (2.0, jakarta; Felix HTTP Jetty 12) while at least
 * one HTTP runtime may carry it. The decision is taken from each {@code HttpServiceRuntime}'s
 * {@code osgi.http.endpoint} property (the URLs it actually listens on; Felix lists every interface's address
 * when it is bound to all of them): a runtime qualifies when it has an {@code https} endpoint or when all its
 * endpoints are loopback. The servlet is registered with {@code osgi.http.whiteboard.target} naming just the
 * runtimes that qualify, so a runtime on a network address over plain HTTP never serves it. The servlet checks
 * every request again ({@link JsonServlet#transportRefusal}).
 *
 * <p>Nothing of the servlet API is touched unless the bundle's optional import of {@code jakarta.servlet} is
 * wired: without Felix HTTP the node serves gRPC only.
 */
final class HttpFrontEnd implements AutoCloseable {
    static final String RUNTIME = "org.osgi.service.servlet.runtime.HttpServiceRuntime";
    static final String ENDPOINT = "osgi.http.endpoint";
    private static final System.Logger LOG = System.getLogger(HttpFrontEnd.class.getName());

    private final BundleContext context;
    private final JsonGateway gateway;
    /** The console WebSocket proxy, served on the same runtimes as JSON (null: none). */
    private final ConsoleProxy consoles;
    private ServiceRegistration<?> consoleRegistration;
    /** {@code /metrics} (Prometheus text), same runtimes and token as JSON. */
    private ServiceRegistration<?> metricsRegistration;
    private final ServiceTracker<Object, Object> runtimes;
    /** The runtimes (a tracker's own list lacks the one being added while it is added). */
    private final java.util.Set<ServiceReference<Object>> known = new java.util.HashSet<>();
    private ServiceRegistration<?> registration;
    private String target;
    private java.util.Set<Long> logged = java.util.Set.of();
    private boolean closed;

    private HttpFrontEnd(BundleContext context, JsonGateway gateway, ConsoleProxy consoles) throws InvalidSyntaxException {
        this.context = context;
        this.gateway = gateway;
        this.consoles = consoles;
        this.runtimes = new ServiceTracker<>(context, context.createFilter("(objectClass=" + RUNTIME + ")"),
            new ServiceTrackerCustomizer<>() {
                @Override
                public Object addingService(ServiceReference<Object> ref) {
                    synchronized (HttpFrontEnd.this) {
                        known.add(ref);
                    }
                    update();
                    return ref;
                }

                @Override
                public void modifiedService(ServiceReference<Object> ref, Object service) {
                    update();
                }

                @Override
                public void removedService(ServiceReference<Object> ref, Object service) {
                    synchronized (HttpFrontEnd.this) {
                        known.remove(ref);
                    }
                    update();
                }
            });
    }

    /** Serves {@code gateway} as JSON over HTTP; closing stops that and closes the gateway. */
    static AutoCloseable open(BundleContext context, JsonGateway gateway) {
        return open(context, gateway, null);
    }

    /** The same, and the console WebSocket proxy ({@link ConsoleServlet}) on the same runtimes. */
    static AutoCloseable open(BundleContext context, JsonGateway gateway, ConsoleProxy consoles) {
        if (!servletApi()) {
            LOG.log(Level.INFO, "JSON over HTTP not offered: jakarta.servlet 6 is not wired to this bundle (install "
                + "org.apache.felix.http.servlet-api and org.apache.felix.http.jetty12 before it, or refresh it)");
            return gateway;
        }
        try {
            HttpFrontEnd front = new HttpFrontEnd(context, gateway, consoles);
            front.runtimes.open();
            front.update();
            return front;
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static boolean servletApi() {
        try {
            Class.forName("jakarta.servlet.http.HttpServlet", false, HttpFrontEnd.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    private synchronized void update() {
        if (closed) return;
        List<String> ok = new ArrayList<>();
        TreeMap<Long, String> refused = new TreeMap<>();
        {
            for (ServiceReference<Object> ref : known) {
                Long id = (Long) ref.getProperty("service.id");
                List<String> endpoints = strings(ref.getProperty(ENDPOINT));
                String why = refusal(endpoints);
                if (why == null) ok.add("(service.id=" + id + ")");
                else refused.put(id, why);
            }
        }
        String wanted = ok.isEmpty() ? null : ok.size() == 1 ? ok.get(0) : "(|" + String.join("", ok) + ")";
        if (java.util.Objects.equals(wanted, target) && refused.keySet().equals(logged)) return;
        if (!refused.keySet().equals(logged))
            refused.forEach((id, why) -> LOG.log(Level.ERROR, "JSON over HTTP not served by HTTP runtime " + id + ": " + why));
        logged = new java.util.TreeSet<>(refused.keySet());
        if (java.util.Objects.equals(wanted, target)) return;
        unregister();
        if (wanted == null) return;
        target = wanted; // before registering: the whiteboard may call back (changecount) while it registers
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("osgi.http.whiteboard.servlet.pattern", JsonGateway.path("*"));
        props.put("osgi.http.whiteboard.servlet.name", "limiquantix-node-json");
        props.put("osgi.http.whiteboard.target", wanted);
        registration = context.registerService("jakarta.servlet.Servlet", JsonServlet.create(gateway), props);
        LOG.log(Level.INFO, "JSON over HTTP: POST " + JsonGateway.path("<Method>") + " on HTTP runtime " + wanted);
        Hashtable<String, Object> mprops = new Hashtable<>();
        mprops.put("osgi.http.whiteboard.servlet.pattern", MetricsServlet.PATH);
        mprops.put("osgi.http.whiteboard.servlet.name", "limiquantix-node-metrics");
        mprops.put("osgi.http.whiteboard.target", wanted);
        metricsRegistration = context.registerService("jakarta.servlet.Servlet", MetricsServlet.create(gateway.token(), gateway.node()), mprops);
        if (consoles != null && !ConsoleProxy.jettyWired()) {
            LOG.log(Level.ERROR, "console WebSocket proxy not offered: it needs Felix HTTP Jetty 12 (org.eclipse.jetty.server, "
                + ".io, .util, .ee10.servlet 12.x wired to this bundle; refresh it after installing org.apache.felix.http.jetty12)");
        } else if (consoles != null) {
            Hashtable<String, Object> cprops = new Hashtable<>();
            cprops.put("osgi.http.whiteboard.servlet.pattern", ConsoleProxy.PREFIX + "/*");
            cprops.put("osgi.http.whiteboard.servlet.name", "limiquantix-node-console");
            cprops.put("osgi.http.whiteboard.target", wanted);
            consoleRegistration = context.registerService("jakarta.servlet.Servlet", ConsoleServlet.create(consoles), cprops);
            LOG.log(Level.INFO, "console WebSocket proxy: " + ConsoleProxy.WS_PATH + "?token=<ticket> on HTTP runtime " + wanted);
        }
    }

    /**
     * Why a runtime listening on these endpoints must not serve the API, or null if it may: it may when it has an
     * HTTPS endpoint (plain requests from the network are then refused by the servlet) or when every endpoint is
     * loopback. A runtime that publishes no endpoint is refused: where it listens is unknown.
     */
    static String refusal(List<String> endpoints) {
        if (endpoints.isEmpty()) return "it publishes no " + ENDPOINT + ", so where it listens is unknown";
        List<String> network = new ArrayList<>();
        for (String e : endpoints) {
            URI uri;
            try {
                uri = URI.create(e.strip());
            } catch (IllegalArgumentException bad) {
                network.add(e);
                continue;
            }
            if ("https".equalsIgnoreCase(uri.getScheme())) return null;
            if (!loopbackHost(uri.getHost())) network.add(e);
        }
        return network.isEmpty() ? null : "it listens on " + String.join(", ", network) + " over plain HTTP; JSON over "
            + "HTTP is served on loopback only unless HTTPS is configured (set org.apache.felix.http.host=127.0.0.1, "
            + "or enable HTTPS with a client certificate: org.apache.felix.https.enable=true, "
            + "org.apache.felix.https.clientcertificate=needs)";
    }

    private static boolean loopbackHost(String host) {
        if (host == null) return false;
        // IP literals only (and "localhost"): a name is not resolved here, so it counts as a network address
        return host.equalsIgnoreCase("localhost") || JsonServlet.loopback(host);
    }

    private static List<String> strings(Object value) {
        List<String> out = new ArrayList<>();
        if (value instanceof String s) out.add(s);
        else if (value instanceof String[] a) out.addAll(List.of(a));
        else if (value instanceof Collection<?> c) c.forEach(o -> out.add(String.valueOf(o)));
        return out;
    }

    private void unregister() {
        if (metricsRegistration != null) {
            try {
                metricsRegistration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the bundle is stopping
            }
            metricsRegistration = null;
        }
        if (consoleRegistration != null) {
            try {
                consoleRegistration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the bundle is stopping
            }
            consoleRegistration = null;
        }
        if (registration != null) {
            try {
                registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the bundle is stopping
            }
        }
        registration = null;
        target = null;
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            unregister();
        }
        runtimes.close();
        if (consoles != null) consoles.closeAll();
        gateway.close();
    }
}
