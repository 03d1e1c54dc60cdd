package io.limiquantix.node.rpc.internal;

import static io.limiquantix.node.rpc.internal.FelixNode.eventually;
import static io.limiquantix.node.rpc.internal.FelixNode.listening;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.limiquantix.node.rpc.v1.BundleInfo;
import io.limiquantix.node.rpc.v1.DeployBundleRequest;
import io.limiquantix.node.rpc.v1.ListBundlesRequest;
import io.limiquantix.node.rpc.v1.NodeDaemonServiceGrpc;
import io.limiquantix.node.rpc.v1.UndeployBundleRequest;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;

/**
 * DeployBundle, ListBundles and UndeployBundle over gRPC and as JSON over HTTP, in a real Felix with Felix HTTP,
 * the node's runtime and deploy.bundle. Bundles are signed in the test with the JDK's keytool and jarsigner; the
 * trust store holds the signer's certificate. A jar signed by another key is INVALID_ARGUMENT (400 over JSON) naming
 * "jar", and the bundles stay as they were. The audit log names the caller ("token").
 */
class DeployRpcIT {
    static final String SERVICE = "/limiquantix.node.v1.NodeDaemonService/";
    static final String PASS = "changeit-test";

    @TempDir Path storage;

    @Test
    void deployListUndeployOverGrpcAndJson() throws Exception {
        Path keys = Files.createDirectories(storage.resolve("keys"));
        keytool("-genkeypair", "-alias", "lq", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=RPC Test Signer", "-validity", "30",
            "-keystore", keys.resolve("signer.p12").toString(), "-storetype", "PKCS12", "-storepass", PASS, "-keypass", PASS);
        keytool("-genkeypair", "-alias", "lq", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=Stranger", "-validity", "30",
            "-keystore", keys.resolve("stranger.p12").toString(), "-storetype", "PKCS12", "-storepass", PASS, "-keypass", PASS);
        keytool("-exportcert", "-alias", "lq", "-keystore", keys.resolve("signer.p12").toString(), "-storepass", PASS,
            "-file", keys.resolve("signer.cer").toString());
        keytool("-importcert", "-noprompt", "-alias", "signer", "-file", keys.resolve("signer.cer").toString(),
            "-keystore", keys.resolve("trust.p12").toString(), "-storetype", "PKCS12", "-storepass", PASS);
        Path grpcJar = sign(bundle(keys.resolve("g.jar"), "lqtest.rpc.grpc", "1.0.0"), keys.resolve("signer.p12"));
        Path jsonJar = sign(bundle(keys.resolve("j.jar"), "lqtest.rpc.json", "1.0.0"), keys.resolve("signer.p12"));
        Path strangerJar = sign(bundle(keys.resolve("s.jar"), "lqtest.rpc.stranger", "1.0.0"), keys.resolve("stranger.p12"));

        int http = FelixNode.freePort();
        int grpc = FelixNode.freePort();
        try (FelixNode felix = new FelixNode(storage, "lq.deploy.bundles", Map.of(
                "limiquantix.data", storage.resolve("data").toString(),
                "limiquantix.readiness.report", "false",
                "limiquantix.rpc.port", Integer.toString(grpc),
                "org.osgi.service.http.port", Integer.toString(http),
                "org.apache.felix.http.host", "127.0.0.1",
                "limiquantix.deploy.truststore", keys.resolve("trust.p12").toString(),
                "limiquantix.deploy.truststore.password", PASS))) {
            eventually(60, () -> listening(grpc) && listening(http), "gRPC on " + grpc + " and HTTP on " + http);
            String token = Files.readString(storage.resolve("data/rpc-token")).strip();
            ManagedChannel channel = FelixNode.channel(grpc);
            try {
                NodeDaemonServiceGrpc.NodeDaemonServiceBlockingStub stub = FelixNode.stub(channel, token);
                // gRPC
                BundleInfo installed = stub.deployBundle(DeployBundleRequest.newBuilder()
                    .setJar(ByteString.copyFrom(Files.readAllBytes(grpcJar))).build());
                assertEquals("installed", installed.getOutcome());
                assertEquals("lqtest.rpc.grpc", installed.getSymbolicName());
                assertEquals("ACTIVE", installed.getState());
                String grpcDigest = sha256(grpcJar);
                assertEquals(grpcDigest, installed.getSha256());
                assertTrue(installed.getSigner().contains("CN=RPC Test Signer") && installed.getTrusted(), installed.toString());
                assertTrue(stub.listBundles(ListBundlesRequest.getDefaultInstance()).getBundlesList().stream()
                    .anyMatch(b -> b.getSymbolicName().equals("lqtest.rpc.grpc") && b.getSha256().equals(grpcDigest)));

                Map<String, String> before = running(felix);
                StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> stub.deployBundle(
                    DeployBundleRequest.newBuilder().setJar(ByteString.copyFrom(Files.readAllBytes(strangerJar))).build()));
                assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode());
                assertTrue(refused.getStatus().getDescription().startsWith("jar: ") && refused.getStatus().getDescription()
                    .contains("does not vouch for"), refused.getStatus().getDescription());
                assertEquals(before, running(felix), "a refused jar changed the bundles");
                StatusRuntimeException empty = assertThrows(StatusRuntimeException.class,
                    () -> stub.deployBundle(DeployBundleRequest.getDefaultInstance()));
                assertEquals(Status.Code.INVALID_ARGUMENT, empty.getStatus().getCode());

                BundleInfo gone = stub.undeployBundle(UndeployBundleRequest.newBuilder().setSymbolicName("lqtest.rpc.grpc").build());
                assertEquals("uninstalled", gone.getOutcome());
                assertFalse(running(felix).keySet().stream().anyMatch(k -> k.startsWith("lqtest.rpc.grpc")));
                StatusRuntimeException missing = assertThrows(StatusRuntimeException.class, () -> stub.undeployBundle(
                    UndeployBundleRequest.newBuilder().setSymbolicName("lqtest.rpc.grpc").build()));
                assertEquals(Status.Code.NOT_FOUND, missing.getStatus().getCode());
            } finally {
                channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            }

            // JSON over HTTP: the jar's bytes in base64, as the protobuf JSON mapping has them.
            String base = "http://127.0.0.1:" + http + SERVICE;
            HttpResponse<String> ok = post(base + "DeployBundle", token,
                "{\"jar\":\"" + Base64.getEncoder().encodeToString(Files.readAllBytes(jsonJar)) + "\"}");
            assertEquals(200, ok.statusCode(), ok.body());
            JsonObject info = JsonParser.parseString(ok.body()).getAsJsonObject();
            assertEquals("installed", info.get("outcome").getAsString());
            assertEquals(sha256(jsonJar), info.get("sha256").getAsString());
            HttpResponse<String> list = post(base + "ListBundles", token, "{}");
            assertEquals(200, list.statusCode());
            assertTrue(list.body().contains("lqtest.rpc.json"), list.body());
            Map<String, String> before = running(felix);
            HttpResponse<String> bad = post(base + "DeployBundle", token,
                "{\"jar\":\"" + Base64.getEncoder().encodeToString(Files.readAllBytes(strangerJar)) + "\"}");
            assertEquals(400, bad.statusCode(), bad.body());
            assertTrue(bad.body().contains("\"field\": \"jar\"") || bad.body().contains("\"field\":\"jar\""), bad.body());
            assertEquals(before, running(felix));
            assertEquals(401, post(base + "ListBundles", null, "{}").statusCode());
            HttpResponse<String> undeployed = post(base + "UndeployBundle", token, "{\"symbolicName\":\"lqtest.rpc.json\"}");
            assertEquals(200, undeployed.statusCode(), undeployed.body());

            String audit = Files.readString(storage.resolve("data/deploy-audit.log"));
            assertTrue(audit.contains("who=\"token\" action=deploy outcome=installed bundle=\"lqtest.rpc.grpc\""), audit);
            assertTrue(audit.contains("who=\"token\" action=deploy outcome=refused bundle=\"lqtest.rpc.stranger\"")
                || audit.contains("who=\"token\" action=deploy outcome=refused"), audit);
            assertTrue(audit.contains("action=undeploy outcome=uninstalled bundle=\"lqtest.rpc.json\""), audit);
        }
    }

    private static Map<String, String> running(FelixNode felix) {
        Map<String, String> set = new TreeMap<>();
        for (Bundle b : felix.framework.getBundleContext().getBundles())
            set.put(b.getSymbolicName() + "#" + b.getBundleId(), b.getVersion() + " " + b.getState());
        return set;
    }

    private static HttpResponse<String> post(String url, String token, String json) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
        if (token != null) b.header("Authorization", "Bearer " + token);
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A bundle without code: a manifest and one resource. */
    private static Path bundle(Path jar, String bsn, String version) throws Exception {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", bsn);
        a.putValue("Bundle-Version", version);
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), mf)) {
            out.putNextEntry(new JarEntry("lqtest/data.txt"));
            out.write((bsn + "\n").getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        return jar;
    }

    private static Path sign(Path jar, Path store) throws Exception {
        Path signed = jar.resolveSibling("signed-" + store.getFileName() + "-" + jar.getFileName());
        run(List.of(tool("jarsigner"), "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", PASS,
            "-signedjar", signed.toString(), jar.toString(), "lq"));
        return signed;
    }

    private static void keytool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(tool("keytool")));
        cmd.addAll(List.of(args));
        run(cmd);
    }

    private static String tool(String name) {
        Path p = Path.of(System.getProperty("java.home"), "bin", name);
        return Files.isExecutable(p) ? p.toString() : name;
    }

    private static void run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = p.getInputStream()) {
            in.transferTo(out);
        }
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), cmd.get(0) + " did not finish");
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out.toString(StandardCharsets.UTF_8));
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
