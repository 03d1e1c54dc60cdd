package io.limiquantix.node.cloudhv.internal.chapi;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Transport;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Sends {@link ChRequest}s to VMMs over their API sockets. One Jetty {@link HttpClient} serves every VMM:
 * each request names its Unix socket through its {@link Transport}, so a node with many VMs does not keep a
 * thread pool per VM. Jetty does the HTTP; this class only maps actions to requests and answers to records.
 */
public final class ChApiClient implements AutoCloseable {
    /** CH serves its API under this prefix; the host part is ignored on a Unix socket. */
    static final String BASE = "http://localhost/api/v1/";

    /**
     * Jetty logs through the embedded slf4j to java.util.logging; at FINE it writes thousands of lines per
     * VMM call into the node's log. Held strongly, because JUL forgets the level of a logger nobody references.
     */
    private static final java.util.logging.Logger JETTY_LOG = java.util.logging.Logger.getLogger("org.eclipse.jetty");

    static {
        JETTY_LOG.setLevel(java.util.logging.Level.INFO);
    }

    private final Duration timeout;
    /** Made on first use: a node without Cloud Hypervisor (the common case) never loads Jetty's client or Jackson. */
    private Started started;
    private boolean closed;

    /** The HTTP client and the JSON mapper, made together on first use. */
    private record Started(HttpClient http, ObjectMapper json) {
    }

    public ChApiClient(Duration timeout) {
        this.timeout = timeout;
    }

    private synchronized Started started(String endpoint) throws ChApiException {
        if (closed) throw new ChApiException(endpoint, 0, null, "the Cloud Hypervisor backend is stopping", null);
        if (started != null) return started;
        QueuedThreadPool threads = new QueuedThreadPool(8, 1);
        threads.setName("lq-cloudhv-http");
        threads.setDaemon(true);
        HttpClient http = new HttpClient();
        http.setExecutor(threads);
        http.setName("lq-cloudhv");
        // The VMM's API is local and tiny; a stale pooled connection to a VMM that restarted must not linger.
        http.setIdleTimeout(5_000);
        try {
            http.start();
        } catch (Exception e) {
            throw new ChApiException(endpoint, 0, null, "cannot start the HTTP client for Cloud Hypervisor: " + e, e);
        }
        started = new Started(http, ChJson.mapper());
        return started;
    }

    /** True once the first call has made the HTTP client (for tests of the lazy start). */
    synchronized boolean clientStarted() {
        return started != null;
    }

    /** Sends the action to the VMM listening on {@code socket} and reads its answer (null for 204). */
    public <R> R send(Path socket, ChRequest<R> action) throws ChApiException {
        return send(socket, action, timeout);
    }

    public <R> R send(Path socket, ChRequest<R> action, Duration within) throws ChApiException {
        String endpoint = action.endpoint();
        Started client = started(endpoint);
        HttpClient http = client.http();
        ObjectMapper json = client.json();
        Request request = http.newRequest(BASE + endpoint)
            .transport(new Transport.TCPUnix(socket))
            .method(action.method().name())
            .timeout(within.toMillis(), TimeUnit.MILLISECONDS)
            .headers(h -> h.put(HttpHeader.ACCEPT, "application/json"));
        Object body = action.body();
        if (body != null) {
            try {
                request.body(new StringRequestContent("application/json", json.writeValueAsString(body), StandardCharsets.UTF_8));
            } catch (JsonProcessingException e) {
                throw new ChApiException(endpoint, 0, null, "cannot serialise the " + endpoint + " request: " + e.getOriginalMessage(), e);
            }
        }
        ContentResponse response;
        try {
            response = request.send();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ChApiException(endpoint, 0, null, "interrupted while calling " + endpoint, e);
        } catch (TimeoutException e) {
            throw new ChApiException(endpoint, 0, null, "the VMM at " + socket + " did not answer " + endpoint + " within "
                + within.toMillis() + " ms", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new ChApiException(endpoint, 0, null, "cannot reach the VMM at " + socket + " for " + endpoint + ": " + cause, cause);
        }
        int status = response.getStatus();
        String text = response.getContentAsString();
        if (status == 204 || (status == 200 && (text == null || text.isBlank()))) return null;
        if (status != 200) {
            throw new ChApiException(endpoint, status, text, "the VMM refused " + endpoint + " (HTTP " + status + ")"
                + (text == null || text.isBlank() ? "" : ": " + text.strip()), null);
        }
        if (action.responseType() == Void.class) return null;
        try {
            return json.readValue(text, action.responseType());
        } catch (JsonProcessingException e) {
            throw new ChApiException(endpoint, status, text, "the VMM's answer to " + endpoint + " is not the expected JSON: "
                + e.getOriginalMessage(), e);
        }
    }

    /** True when a VMM answers a ping on the socket within {@code within}. */
    public boolean answers(Path socket, Duration within) {
        try {
            send(socket, new ChRequests.VmmPing(), within);
            return true;
        } catch (ChApiException e) {
            return false;
        }
    }

    @Override
    public void close() {
        Started s;
        synchronized (this) {
            closed = true;
            s = started;
            started = null;
        }
        if (s == null) return;
        try {
            s.http().stop();
        } catch (Exception e) {
            // closing at bundle stop: nothing left to do with a client that will not stop
        }
    }
}
