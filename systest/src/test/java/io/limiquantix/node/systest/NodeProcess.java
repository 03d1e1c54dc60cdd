package io.limiquantix.node.systest;

import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;

/**
 * One real node: the exported {@code run/target/node.jar} (copied, so a concurrent rebuild cannot change it under
 * the test), started as its own JVM on a private data directory, private configuration directory and private
 * ports, so it collides with nothing else on the machine. Talks to it over its JSON API.
 */
final class NodeProcess implements AutoCloseable {
    final Path home;
    final Path data;
    final Path log;
    final int grpcPort;
    final int httpPort;
    private final Path jar;
    private Process process;
    /** Whether the Gogo shell reads commands from the process's standard input ({@link #shell}). */
    boolean shell;
    /** The backends that must be healthy before {@link #start} returns (the embedded default's by default). */
    String[] ready = {"test", "qemu"};
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** A node in {@code home} (created); the jar is copied there once. */
    NodeProcess(Path home) throws IOException {
        this.home = home;
        this.data = home.resolve("data");
        this.log = home.resolve("node.log");
        Files.createDirectories(data);
        Files.createDirectories(home.resolve("etc"));
        Files.createDirectories(home.resolve("images"));
        jar = home.resolve("node.jar");
        if (!Files.exists(jar)) Files.copy(nodeJar(), jar, StandardCopyOption.REPLACE_EXISTING);
        grpcPort = freePort();
        httpPort = freePort();
    }

    static Path nodeJar() {
        Path p = Path.of(System.getProperty("lq.node.jar", "../run/target/node.jar")).toAbsolutePath().normalize();
        requireOrSkip(Files.isRegularFile(p), "the exported node " + p + " (mvn -o -q -pl run package)");
        return p;
    }

    static boolean requireReal() {
        return "1".equals(System.getenv("LQ_REQUIRE_REAL"));
    }

    static void requireOrSkip(boolean present, String what) {
        if (present) return;
        String message = "REAL-ENVIRONMENT TEST NOT RUN: " + what + " is missing";
        if (requireReal()) fail(message + " (LQ_REQUIRE_REAL=1, so this is a failure)");
        System.err.println("\n*** " + message + " — ./run/test provides it ***\n");
        Assumptions.abort(message);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Starts the JVM (appending to the log) and waits until the JSON API answers with both libvirt backends healthy. */
    NodeProcess start(String... extraJvmArgs) throws Exception {
        launch(extraJvmArgs);
        waitFor(Duration.ofMinutes(5), () -> {
            if (!process.isAlive()) fail("the node exited with " + process.exitValue() + "; see " + log);
            return backendsHealthy(ready);
        }, () -> "the node did not become ready with healthy backends " + String.join(", ", ready) + " in 5 minutes; see " + log);
        return this;
    }

    /** Starts the JVM (appending to the log) and returns at once. */
    NodeProcess launch(String... extraJvmArgs) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("java", "-Xmx512m",
            "-Dlimiquantix.data=" + data, "-Dlimiquantix.home=" + home,
            "-Dlimiquantix.rpc.port=" + grpcPort, "-Dorg.osgi.service.http.port=" + httpPort,
            "-Dfelix.fileinstall.dir=" + home.resolve("etc"), "-Dfelix.fileinstall.filter=.*\\.(cfg|config)",
            "-Dorg.osgi.framework.storage=" + home.resolve("felix-cache"),
            "-Dlimiquantix.storage.roots=/var/lib/limiquantix/test-guest," + home.resolve("images"),
            "-Djava.util.logging.SimpleFormatter.format=%1$tF %1$tT %4$s %3$s: %5$s%6$s%n",
            "-Dgosh.args=" + (shell ? "" : "--nointeractive")));
        cmd.addAll(List.of(extraJvmArgs));
        cmd.addAll(List.of("-jar", jar.toString()));
        process = new ProcessBuilder(cmd).directory(home.toFile()).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        return this;
    }

    /** Sends one Gogo command on the node's standard input (needs {@link #shell} set before start). */
    void shell(String command) throws IOException {
        var in = process.getOutputStream();
        in.write((command + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    /** SIGKILL: no shutdown hook, no flush, no bundle stop. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** A graceful stop (SIGTERM: Felix stops its bundles). */
    void stop() throws InterruptedException {
        if (process == null || !process.isAlive()) return;
        process.destroy();
        if (!process.waitFor(Duration.ofSeconds(60).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) kill9();
    }

    @Override
    public void close() throws Exception {
        stop();
    }

    String token() throws IOException {
        return Files.readString(data.resolve("rpc-token"), StandardCharsets.UTF_8).strip();
    }

    record Reply(int status, JsonObject json, String body) {
        boolean ok() {
            return status == 200;
        }
    }

    Reply call(String method, String json) throws IOException, InterruptedException {
        return call(method, json, "Bearer " + token(), Duration.ofMinutes(3));
    }

    Reply call(String method, String json, String authorization, Duration timeout) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                + "/limiquantix.node.v1.NodeDaemonService/" + method))
            .timeout(timeout).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json));
        if (authorization != null) b.header("Authorization", authorization);
        long t0 = System.nanoTime();
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            // Which call, and how long after it was sent: at once means a pooled connection the server had
            // already closed; later means the server dropped a request it was handling.
            throw new IOException(method + " failed " + (System.nanoTime() - t0) / 1_000_000 + " ms after it was sent, at "
                + java.time.Instant.now() + ": " + e.getMessage(), e);
        }
        JsonObject o = null;
        try {
            JsonElement e = JsonParser.parseString(r.body());
            if (e.isJsonObject()) o = e.getAsJsonObject();
        } catch (RuntimeException ignored) {
            // not JSON: the caller looks at the body
        }
        return new Reply(r.statusCode(), o, r.body());
    }

    HttpResponse<String> raw(String method, String path, String authorization) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
            .timeout(Duration.ofSeconds(30)).method(method, method.equals("POST") || method.equals("PUT")
                ? HttpRequest.BodyPublishers.ofString("{}") : HttpRequest.BodyPublishers.noBody());
        if (method.equals("POST") || method.equals("PUT")) b.header("Content-Type", "application/json");
        if (authorization != null) b.header("Authorization", authorization);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    boolean backendsHealthy(String... names) {
        try {
            if (!Files.exists(data.resolve("rpc-token"))) return false;
            Reply r = call("GetHealth", "{}", "Bearer " + token(), Duration.ofSeconds(20));
            if (!r.ok() || r.json() == null || !r.json().has("backends")) return false;
            JsonObject backends = r.json().getAsJsonObject("backends");
            for (String n : names) {
                if (!backends.has(n)) return false;
                JsonObject h = backends.getAsJsonObject(n);
                if (!h.has("status") || !"STATUS_HEALTHY".equals(h.get("status").getAsString())) return false;
            }
            return true;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The node's VMs (ListVMs), as JSON objects. */
    List<JsonObject> vms() throws IOException, InterruptedException {
        Reply r = call("ListVMs", "{}");
        if (!r.ok()) fail("ListVMs answered " + r.status() + ": " + r.body());
        List<JsonObject> out = new ArrayList<>();
        JsonArray a = r.json().getAsJsonArray("vms");
        if (a != null) for (JsonElement e : a) out.add(e.getAsJsonObject());
        return out;
    }

    static String str(JsonObject o, String field) {
        return o.has(field) ? o.get(field).getAsString() : "";
    }

    static void waitFor(Duration limit, BooleanSupplier condition, Supplier<String> failure) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) fail(failure.get());
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted");
            }
        }
    }

    /** A kernel-boot spec of the test guest (TCG, 128 MiB) pinned to {@code backend}, as CreateVM JSON. */
    static String guestSpec(String name, String backend) {
        return "{\"spec\":{\"name\":\"" + name + "\",\"cpu\":{\"vcpus\":1},\"memory\":{\"sizeMib\":128},"
            + "\"boot\":{\"kind\":\"KIND_KERNEL\",\"kernel\":\"/var/lib/limiquantix/test-guest/vmlinuz\","
            + "\"initrd\":\"/var/lib/limiquantix/test-guest/initramfs.gz\",\"cmdline\":\"console=ttyS0 panic=-1\"},"
            + "\"placement\":{\"backend\":\"" + backend + "\"}}}";
    }
}
