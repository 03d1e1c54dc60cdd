package io.limiquantix.node.cloudhv.standin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * A STAND-IN for a Cloud Hypervisor VMM, for tests on hosts where no real one can run: Jetty serving CH's
 * REST API over a Unix domain socket, with a small model of one VM's states (Created, Running, Paused,
 * Shutdown) and the answers the API spec declares. It boots nothing. Every request it receives and every
 * response it sends is checked against CH's own OpenAPI document ({@link SpecValidator}); violations are
 * collected for the test to assert on.
 *
 * <p>{@link Hooks} say what happens where the real VMM process would exit (vmm.shutdown, a guest powering
 * off after the power button): in a separate stand-in process ({@link StandInVmmMain}) the process exits.
 */
public final class StandInVmmServer implements AutoCloseable {
    public static final String VERSION = "v53.0-stand-in";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the stand-in does where a real VMM process would end. */
    public interface Hooks {
        void vmmShutdown();

        void guestPoweredOff();
    }

    private final Path socket;
    private final SpecValidator validator;
    private final Hooks hooks;
    private final Server server = new Server();
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final Consumer<String> onViolation;

    private JsonNode config;
    private String state;
    private final Set<String> devices = new LinkedHashSet<>();

    public StandInVmmServer(Path socket, SpecValidator validator, Hooks hooks, Consumer<String> onViolation) {
        this.socket = socket;
        this.validator = validator;
        this.hooks = hooks;
        this.onViolation = onViolation == null ? v -> { } : onViolation;
    }

    public StandInVmmServer start() throws Exception {
        Files.deleteIfExists(socket);
        UnixDomainServerConnector connector = new UnixDomainServerConnector(server);
        connector.setUnixDomainPath(socket);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                serve(request, response, callback);
                return true;
            }
        });
        server.start();
        return this;
    }

    /** Every violation of the OpenAPI spec seen so far, requests and responses. */
    public List<String> violations() {
        return List.copyOf(violations);
    }

    /** "METHOD endpoint" of every request received, in order. */
    public List<String> requests() {
        return List.copyOf(requests);
    }

    public synchronized String state() {
        return state;
    }

    public synchronized JsonNode config() {
        return config;
    }

    private void serve(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        String method = request.getMethod();
        String body;
        try {
            body = Content.Source.asString(request, StandardCharsets.UTF_8);
        } catch (Exception e) {
            body = "";
        }
        String contentType = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        String endpoint = path.startsWith("/api/v1/") ? path.substring("/api/v1/".length()) : path;
        requests.add(method + " " + endpoint);
        record(validator.request(method, path, contentType, body));
        Answer a;
        synchronized (this) {
            a = answer(method, endpoint, body);
        }
        record(validator.response(method, path, a.status, a.body == null ? null : "application/json", a.body));
        response.setStatus(a.status);
        if (a.body != null) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            Content.Sink.write(response, true, a.body, callback);
        } else {
            callback.succeeded();
        }
        if (a.after != null) a.after.run();
    }

    private void record(List<String> found) {
        for (String v : found) {
            violations.add(v);
            onViolation.accept(v);
        }
    }

    private record Answer(int status, String body, Runnable after) {
        static Answer of(int status) {
            return new Answer(status, null, null);
        }
    }

    private Answer answer(String method, String endpoint, String body) {
        boolean put = "PUT".equals(method);
        boolean created = config != null;
        switch (method + " " + endpoint) {
            case "GET vmm.ping": {
                ObjectNode n = JSON.createObjectNode().put("version", VERSION).put("build_version", "stand-in")
                    .put("pid", ProcessHandle.current().pid());
                n.putArray("features").add("kvm");
                return new Answer(200, n.toString(), null);
            }
            case "PUT vmm.shutdown":
                return new Answer(204, null, hooks::vmmShutdown);
            case "PUT vm.create":
                if (created) return new Answer(500, "{\"error\":\"VM is already created\"}", null);
                config = parse(body);
                state = "Created";
                devices.clear();
                for (JsonNode d : config.path("disks")) devices.add(d.path("id").asText("_disk" + devices.size()));
                return Answer.of(204);
            case "PUT vm.boot":
                if (!created) return Answer.of(404);
                state = "Running";
                return Answer.of(204);
            case "PUT vm.shutdown":
                if (!created) return Answer.of(404);
                if (!"Running".equals(state) && !"Paused".equals(state)) return Answer.of(405);
                state = "Shutdown";
                return Answer.of(204);
            case "PUT vm.power-button":
                if (!created) return Answer.of(404);
                if (!"Running".equals(state)) return Answer.of(405);
                state = "Shutdown";
                return new Answer(204, null, hooks::guestPoweredOff);
            case "PUT vm.reboot":
                if (!created) return Answer.of(404);
                return "Running".equals(state) ? Answer.of(204) : Answer.of(405);
            case "PUT vm.pause":
                if (!created) return Answer.of(404);
                if (!"Running".equals(state)) return Answer.of(405);
                state = "Paused";
                return Answer.of(204);
            case "PUT vm.resume":
                if (!created) return Answer.of(404);
                if (!"Paused".equals(state)) return Answer.of(405);
                state = "Running";
                return Answer.of(204);
            case "PUT vm.delete":
                config = null;
                state = null;
                return Answer.of(204);
            case "GET vm.info": {
                if (!created) return new Answer(500, "{\"error\":\"VM is not created\"}", null);
                ObjectNode n = JSON.createObjectNode();
                n.set("config", config);
                n.put("state", state);
                return new Answer(200, n.toString(), null);
            }
            case "GET vm.counters": {
                if (!created) return new Answer(500, "{\"error\":\"VM is not created\"}", null);
                ObjectNode n = JSON.createObjectNode();
                for (String d : devices) n.putObject(d).put("read_bytes", 0).put("write_bytes", 0);
                return new Answer(200, n.toString(), null);
            }
            case "PUT vm.snapshot":
                if (!created) return Answer.of(404);
                if (!"Paused".equals(state)) return Answer.of(405);
                return writeSnapshot(parse(body).path("destination_url").asText());
            case "PUT vm.restore":
                if (created) return Answer.of(404);
                return readSnapshot(parse(body));
            case "PUT vm.add-disk": {
                if (!created) return new Answer(500, "{\"error\":\"VM is not created\"}", null);
                JsonNode disk = parse(body);
                String id = disk.path("id").asText("_disk" + devices.size());
                devices.add(id);
                ((com.fasterxml.jackson.databind.node.ArrayNode) ((ObjectNode) config).withArray("disks")).add(disk);
                if (!"Running".equals(state) && !"Paused".equals(state)) return Answer.of(204);
                return new Answer(200, JSON.createObjectNode().put("id", id).put("bdf", "0000:00:06.0").toString(), null);
            }
            case "PUT vm.remove-device": {
                String id = parse(body).path("id").asText();
                if (!created || !devices.remove(id)) return Answer.of(404);
                return Answer.of(204);
            }
            case "PUT vm.send-migration":
                return created && "Running".equals(state) ? Answer.of(204) : new Answer(500, "{\"error\":\"VM is not running\"}", null);
            case "PUT vm.receive-migration":
                if (created) return new Answer(500, "{\"error\":\"VM is already created\"}", null);
                // A real VMM answers once the source has sent the VM, which then runs here.
                config = JSON.createObjectNode().set("payload", JSON.createObjectNode());
                state = "Running";
                devices.clear();
                return Answer.of(204);
            default:
                return put ? Answer.of(404) : new Answer(404, null, null);
        }
    }

    private Answer writeSnapshot(String url) {
        try {
            Path dir = Path.of(java.net.URI.create(url));
            Files.createDirectories(dir);
            ObjectNode n = JSON.createObjectNode();
            n.set("config", config);
            Files.writeString(dir.resolve("stand-in-state.json"), n.toString());
            return Answer.of(204);
        } catch (Exception e) {
            return new Answer(500, JSON.createObjectNode().put("error", e.toString()).toString(), null);
        }
    }

    private Answer readSnapshot(JsonNode restore) {
        try {
            Path dir = Path.of(java.net.URI.create(restore.path("source_url").asText()));
            config = JSON.readTree(Files.readString(dir.resolve("stand-in-state.json"))).path("config");
            state = restore.path("resume").asBoolean(false) ? "Running" : "Paused";
            devices.clear();
            for (JsonNode d : config.path("disks")) devices.add(d.path("id").asText());
            return Answer.of(204);
        } catch (Exception e) {
            return new Answer(500, JSON.createObjectNode().put("error", e.toString()).toString(), null);
        }
    }

    private static JsonNode parse(String body) {
        try {
            return body == null || body.isBlank() ? JSON.createObjectNode() : JSON.readTree(body);
        } catch (Exception e) {
            return JSON.createObjectNode();
        }
    }

    @Override
    public void close() throws Exception {
        server.stop();
        Files.deleteIfExists(socket);
    }

}
