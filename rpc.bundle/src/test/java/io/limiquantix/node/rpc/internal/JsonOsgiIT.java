package io.limiquantix.node.rpc.internal;

import static io.limiquantix.node.rpc.internal.FelixNode.eventually;
import static io.limiquantix.node.rpc.internal.FelixNode.listening;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.util.JsonFormat;
import io.limiquantix.node.rpc.v1.GetHealthResponse;
import io.limiquantix.node.rpc.v1.ListPlacementDecisionsResponse;
import io.limiquantix.node.rpc.v1.ListVMsResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;

/**
 * JSON over HTTP in a real Felix with Felix HTTP (Jetty 12, servlet whiteboard 2.0) added to the smoke test's
 * bundles, called with Debian's real {@code curl}: GetHealth and ListVMs with the token (200, JSON that parses
 * back into the messages), without it (401, the node untouched), with a bad body (400 naming the field); a body
 * above 16 MiB is 413, GET is 405, an unknown method 404, a streaming one 501. Stopping the rpc bundle withdraws
 * the servlet. A second framework whose HTTP service listens on every interface over plain HTTP does not serve
 * JSON at all, while gRPC stays up on loopback. Skips loudly without curl, unless LQ_REQUIRE_REAL=1.
 */
class JsonOsgiIT {
    static final Path CURL = Path.of(System.getenv().getOrDefault("LQ_CURL", "/usr/bin/curl"));
    static final String SERVICE = "/limiquantix.node.v1.NodeDaemonService/";

    @TempDir Path storage;

    @BeforeAll
    static void needsCurl() {
        if (Files.isExecutable(CURL)) return;
        String why = "JsonOsgiIT needs curl at " + CURL + " (Debian package curl; or set LQ_CURL)";
        if ("1".equals(System.getenv("LQ_REQUIRE_REAL"))) fail(why + " and LQ_REQUIRE_REAL=1");
        System.err.println("SKIPPED: " + why);
        Assumptions.abort(why);
    }

    record Http(int status, String body) {
        JsonObject json() {
            return JsonParser.parseString(body).getAsJsonObject();
        }

        String code() {
            return json().get("code").getAsString();
        }
    }

    /** One real curl call; the headers go through a file, so the token never appears in a process list. */
    Http curl(String method, String url, String token, String body) throws Exception {
        Path dir = Files.createTempDirectory(storage, "curl");
        Path headers = dir.resolve("headers");
        Path out = dir.resolve("out");
        Files.writeString(headers, "Content-Type: application/json\n" + (token == null ? "" : "Authorization: Bearer " + token + "\n"));
        List<String> cmd = new ArrayList<>(List.of(CURL.toString(), "-sS", "--max-time", "30", "-X", method,
            "-H", "@" + headers, "-o", out.toString(), "-w", "%{http_code}"));
        if (body != null) {
            Path in = dir.resolve("in");
            Files.writeString(in, body);
            cmd.addAll(List.of("--data-binary", "@" + in));
        }
        cmd.add(url);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String written = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "curl did not finish");
        assertEquals(0, p.exitValue(), "curl failed: " + written);
        return new Http(Integer.parseInt(written), Files.exists(out) ? Files.readString(out) : "");
    }

    @Test
    void curlCallsTheApiAsJson() throws Exception {
        int http = FelixNode.freePort();
        int grpc = FelixNode.freePort();
        String base = "http://127.0.0.1:" + http + SERVICE;
        try (FelixNode felix = new FelixNode(storage, "lq.http.bundles", Map.of(
                "limiquantix.data", storage.resolve("data").toString(),
                "limiquantix.rpc.port", Integer.toString(grpc),
                "org.osgi.service.http.port", Integer.toString(http),
                "org.apache.felix.http.host", "127.0.0.1"))) {
            eventually(30, () -> listening(grpc) && listening(http), "gRPC on " + grpc + " and HTTP on " + http);
            String token = Files.readString(storage.resolve("data/rpc-token")).strip();
            eventually(30, () -> status(base + "GetHealth", token) == 200, "JSON GetHealth to answer 200");

            Http health = curl("POST", base + "GetHealth", token, "{}");
            assertEquals(200, health.status(), health.body());
            GetHealthResponse.Builder h = GetHealthResponse.newBuilder();
            JsonFormat.parser().merge(health.body(), h);
            assertTrue(h.getServing(), health.body());

            Http vms = curl("POST", base + "ListVMs", token, "{}");
            assertEquals(200, vms.status(), vms.body());
            ListVMsResponse.Builder before = ListVMsResponse.newBuilder();
            JsonFormat.parser().merge(vms.body(), before);
            String decisionsBefore = curl("POST", base + "ListPlacementDecisions", token, "{}").body();

            String create = "{\"spec\":{\"name\":\"sneaky\",\"cpu\":{\"vcpus\":1},\"memory\":{\"sizeMib\":128},"
                + "\"boot\":{\"kind\":\"KIND_KERNEL\",\"kernel\":\"/var/lib/limiquantix/test-guest/vmlinuz\"}}}";
            for (String bad : new String[] {null, "not-the-token-but-long-enough-0000000000"}) {
                Http refused = curl("POST", base + "CreateVM", bad, create);
                assertEquals(401, refused.status(), refused.body());
                assertEquals("unauthenticated", refused.code());
                assertEquals(401, curl("POST", base + "ListVMs", bad, "{}").status());
                assertEquals(401, curl("GET", base + "GetHealth", bad, null).status(), "authentication comes first");
            }
            ListVMsResponse.Builder after = ListVMsResponse.newBuilder();
            JsonFormat.parser().merge(curl("POST", base + "ListVMs", token, "{}").body(), after);
            assertEquals(before.build(), after.build(), "a refused CreateVM reached the node");
            assertEquals(decisionsBefore, curl("POST", base + "ListPlacementDecisions", token, "{}").body(),
                "a refused CreateVM reached the node's placement");
            JsonFormat.parser().merge(decisionsBefore, ListPlacementDecisionsResponse.newBuilder());

            Http typo = curl("POST", base + "CreateVM", token, "{\"spec\":{\"name\":\"a\",\"memory\":{\"sizeMib\":\"lots\"}}}");
            assertEquals(400, typo.status(), typo.body());
            assertEquals("invalid_argument", typo.code());
            assertEquals("spec.memory.size_mib", typo.json().getAsJsonArray("details").get(0).getAsJsonObject().get("field").getAsString());
            Http missing = curl("POST", base + "GetVM", token, "{}");
            assertEquals(400, missing.status(), missing.body());
            assertEquals("vm", missing.json().getAsJsonArray("details").get(0).getAsJsonObject().get("field").getAsString());
            Http notFound = curl("POST", base + "GetVM", token, "{\"vm\":\"no-such-vm\"}");
            assertEquals(404, notFound.status(), notFound.body());
            assertEquals("not_found", notFound.code());

            Http huge = curl("POST", base + "CreateVM", token, "{\"spec\":{\"name\":\"" + "a".repeat(17 << 20) + "\"}}");
            assertEquals(413, huge.status(), "a body above 16 MiB");
            assertEquals("resource_exhausted", huge.code());
            assertEquals(200, curl("POST", base + "GetHealth", token, "{}").status(), "still serving");

            assertEquals(405, curl("GET", base + "GetHealth", token, null).status());
            assertEquals(404, curl("POST", base + "NoSuchMethod", token, "{}").status());
            Http watch = curl("POST", base + "WatchEvents", token, "{}");
            assertEquals(501, watch.status());
            assertTrue(watch.body().contains("gRPC"), watch.body());

            // A refusal decided before the body arrived keeps the connection: the JDK client sends the body after
            // the headers, and a 401 answered first used to close the connection silently (its next request on
            // that connection got no answer at all).
            try (java.net.Socket raw = new java.net.Socket("127.0.0.1", http)) {
                raw.setSoTimeout(10_000);
                java.io.OutputStream o = raw.getOutputStream();
                java.io.InputStream in = raw.getInputStream();
                for (String bearer : new String[] {"not-the-token-but-long-enough-0000000000", token}) {
                    o.write(("POST " + SERVICE + "ListVMs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 2\r\nAuthorization: Bearer " + bearer + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    o.flush();
                    Thread.sleep(200); // the answer to a wrong token is decided without the body
                    o.write("{}".getBytes(StandardCharsets.US_ASCII));
                    o.flush();
                    String head = readHead(in);
                    assertTrue(head.startsWith(bearer.equals(token) ? "HTTP/1.1 200" : "HTTP/1.1 401"), head);
                    assertFalse(head.toLowerCase(java.util.Locale.ROOT).contains("connection: close"), head);
                    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: (\\d+)").matcher(head);
                    assertTrue(m.find(), head);
                    in.readNBytes(Integer.parseInt(m.group(1)));
                }
            }

            Bundle rpc = felix.bundle("io.limiquantix.node.rpc");
            rpc.stop();
            eventually(30, () -> status(base + "GetHealth", token) == 404, "the servlet to go with the bundle");
            assertTrue(listening(http), "the HTTP service is not the rpc bundle's to stop");
            rpc.start();
            eventually(30, () -> status(base + "GetHealth", token) == 200, "the servlet to come back");
        }
    }

    /** The status line and headers of one HTTP/1.1 answer, read byte by byte up to the empty line. */
    private static String readHead(java.io.InputStream in) throws java.io.IOException {
        StringBuilder b = new StringBuilder();
        while (!b.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) throw new java.io.EOFException("the server closed the connection after: " + b);
            b.append((char) c);
        }
        return b.toString();
    }

    @Test
    void plainHttpOnEveryInterfaceDoesNotServeJson() throws Exception {
        int http = FelixNode.freePort();
        int grpc = FelixNode.freePort();
        try (FelixNode felix = new FelixNode(storage, "lq.http.bundles", Map.of(
                "limiquantix.data", storage.resolve("data").toString(),
                "limiquantix.rpc.port", Integer.toString(grpc),
                "org.osgi.service.http.port", Integer.toString(http),
                "org.apache.felix.http.host", "0.0.0.0"))) {
            eventually(30, () -> listening(grpc) && listening(http), "gRPC on " + grpc + " and HTTP on " + http);
            String token = Files.readString(storage.resolve("data/rpc-token")).strip();
            Thread.sleep(2000); // give a (wrong) registration the time to happen
            Http r = curl("POST", "http://127.0.0.1:" + http + SERVICE + "GetHealth", token, "{}");
            assertEquals(404, r.status(), "JSON must not be served on a plain-HTTP network bind: " + r.body());
            assertFalse(r.body().contains("serving"));
            assertTrue(listening(grpc), "gRPC (loopback) is unaffected");
        }
    }

    private int status(String url, String token) {
        try {
            return curl("POST", url, token, "{}").status();
        } catch (Exception e) {
            return -1;
        }
    }
}
