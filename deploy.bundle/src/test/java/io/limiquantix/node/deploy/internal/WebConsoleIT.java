package io.limiquantix.node.deploy.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Web Console (Felix Web Console 5.0.18 on Felix HTTP / Jetty 12) with the node's runtime, the real libvirt
 * backend on {@code test:///default} (its built-in running domain "test" is the VM) and the deploy bundle: the
 * console answers nothing without the generated password (0600 file), refuses admin/admin with 401, and a real
 * headless Chromium logs in with the generated password and renders the Hypervisors page listing the backend and
 * the VM (DOM checked, screenshot kept in target/ and checked to be a non-blank PNG). The Deploy page lists the
 * bundles with their digests and takes a signed jar through its upload form.
 */
class WebConsoleIT {
    static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("LQ_CHROMIUM", "/usr/bin/chromium"));
    static final List<String> CONSOLE = List.of("asm", "asm-tree", "asm-analysis", "asm-commons", "asm-util",
        "org.apache.aries.spifly.dynamic.bundle", "slf4j-api", "slf4j-simple", "org.apache.felix.http.servlet-api", "commons-io",
        "commons-fileupload", "org.apache.felix.http.jetty12", "org.apache.felix.inventory", "encoder",
        "org.apache.felix.webconsole", "jna", "libvirt.bundle");

    @TempDir Path dir;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @Test
    void generatedPasswordRealBrowserHypervisorsAndDeployPages() throws Exception {
        if (!Files.isExecutable(CHROMIUM)) {
            String why = "WebConsoleIT needs Chromium at " + CHROMIUM + " (Debian package chromium; ./run/test installs it)";
            if ("1".equals(System.getenv("LQ_REQUIRE_REAL"))) fail(why + " and LQ_REQUIRE_REAL=1");
            System.err.println("SKIPPED: " + why);
            Assumptions.abort(why);
        }
        TestJars jars = new TestJars(dir.resolve("jars"));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> bundles = new ArrayList<>(CONSOLE);
        bundles.addAll(Felix.BASE);
        try (Felix felix = new Felix(dir, bundles, Map.of(
                "org.osgi.service.http.port", String.valueOf(port),
                "org.apache.felix.http.host", "127.0.0.1",
                "felix.webconsole.security.providers", "limiquantix",
                "limiquantix.deploy.truststore", jars.trustStore.toString(),
                "limiquantix.deploy.truststore.password", TestJars.TRUSTPASS))) {
            Path passwordFile = dir.resolve("data/webconsole-password");
            Felix.eventually(60, () -> Files.exists(passwordFile), "the generated console password file");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(passwordFile)));
            String password = Files.readString(passwordFile).strip();
            assertTrue(password.length() >= 20, "a short generated password");
            String base = "http://127.0.0.1:" + port + "/system/console/";

            Felix.eventually(60, () -> status(base + "hypervisors", null) == 401, "the console to answer (401 without a login)");
            assertEquals(401, status(base + "hypervisors", "admin:admin"), "admin/admin must not log in");
            assertEquals(401, status(base + "bundles", "admin:admin"));
            assertEquals(401, status(base + "hypervisors", "admin:" + password + "x"));

            // The libvirt backend on test:///default comes up and reports its built-in running domain "test".
            String[] page = new String[1];
            Felix.eventually(120, () -> {
                page[0] = body(base + "hypervisors", "admin:" + password);
                return page[0] != null && Pattern.compile("<td>test</td><td>libvirt</td>").matcher(page[0]).find()
                    && Pattern.compile("id='lq-vms'.*<td>test</td>.*RUNNING", Pattern.DOTALL).matcher(page[0]).find();
            }, "the Hypervisors page to list backend 'test' and its running VM 'test'");
            assertTrue(page[0].contains("Recent placement decisions"), page[0]);

            // A real browser: headless Chromium logs in with the generated password and renders the page.
            Path png = Path.of("target", "webconsole-hypervisors.png").toAbsolutePath();
            Files.deleteIfExists(png);
            String url = "http://admin:" + password + "@127.0.0.1:" + port + "/system/console/hypervisors";
            String dom = chromium(List.of("--dump-dom", url));
            assertTrue(Pattern.compile("<td>test</td><td>libvirt</td>").matcher(dom).find(), "the browser's DOM lacks the backend: " + dom);
            assertTrue(Pattern.compile("id=\"lq-vms\".*<td>test</td>.*RUNNING", Pattern.DOTALL).matcher(dom).find(),
                "the browser's DOM lacks the VM: " + dom);
            assertTrue(dom.contains("Hypervisors"), dom);
            chromium(List.of("--screenshot=" + png, "--window-size=1400,1000", url));
            assertTrue(Files.size(png) > 10_000, "screenshot too small: " + Files.size(png));
            BufferedImage img = ImageIO.read(png.toFile());
            assertTrue(img != null && img.getWidth() >= 1000, "not a PNG of the window");
            Set<Integer> colours = new HashSet<>();
            for (int y = 0; y < img.getHeight(); y += 4) for (int x = 0; x < img.getWidth(); x += 4) colours.add(img.getRGB(x, y));
            assertTrue(colours.size() > 20, "the screenshot is blank (" + colours.size() + " colours)");
            // Without the password the browser gets nothing but the 401.
            String refusedDom = chromium(List.of("--dump-dom", "http://admin:admin@127.0.0.1:" + port + "/system/console/hypervisors"));
            assertTrue(!refusedDom.contains("lq-backends"), "admin/admin saw the page in the browser");

            // Deploy page: bundles with digests; upload a signed jar through the form.
            String deployPage = body(base + "lq-deploy", "admin:" + password);
            assertTrue(deployPage.contains("io.limiquantix.node.deploy") && deployPage.contains("id='lq-bundles'"), deployPage);
            assertTrue(deployPage.contains(TestJars.sha256(Path.of(System.getProperty("lq.deploy.bundle")))), "digest missing");
            Path signed = jars.signed("console.jar", "lqtest.console", "1.0.0", false);
            HttpResponse<String> posted = upload(base + "lq-deploy", "admin:" + password, signed, base);
            assertTrue(posted.statusCode() == 302 || posted.statusCode() == 303, "upload answered " + posted.statusCode() + ": " + posted.body());
            Felix.eventually(30, () -> felix.bundle("lqtest.console") != null, "the uploaded bundle to be installed");
            String after = body(base + "lq-deploy", "admin:" + password);
            assertTrue(after.contains("lqtest.console") && after.contains(TestJars.sha256(signed)) && after.contains("LimiQuantix Test Signer"), after);
            assertTrue(Files.readString(dir.resolve("data/deploy-audit.log")).contains("who=\"webconsole:admin@127.0.0.1\""));
            // A cross-site form post is refused.
            HttpResponse<String> cross = upload(base + "lq-deploy", "admin:" + password, signed, "http://evil.example/");
            assertEquals(403, cross.statusCode());

            // Without the node's security provider (deploy bundle stopped) the console serves nothing, not admin/admin.
            felix.bundle("io.limiquantix.node.deploy").stop();
            Felix.eventually(60, () -> status(base + "bundles", "admin:admin") == 404, "the console to withdraw without its provider");
            assertEquals(404, status(base + "bundles", "admin:" + password));
        }
    }

    private int status(String url, String credentials) {
        try {
            return http.send(get(url, credentials), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    private String body(String url, String credentials) {
        try {
            HttpResponse<String> r = http.send(get(url, credentials), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body() : null;
        } catch (Exception e) {
            return null;
        }
    }

    private static HttpRequest get(String url, String credentials) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET();
        if (credentials != null) b.header("Authorization", basic(credentials));
        return b.build();
    }

    private static String basic(String credentials) {
        return "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
    }

    private HttpResponse<String> upload(String url, String credentials, Path jar, String origin) throws Exception {
        String boundary = "lq" + System.nanoTime();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"jar\"; filename=\"" + jar.getFileName()
            + "\"\r\nContent-Type: application/java-archive\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.write(Files.readAllBytes(jar));
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpRequest r = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
            .header("Authorization", basic(credentials)).header("Origin", origin.replaceAll("(https?://[^/]+).*", "$1"))
            .header("Content-Type", "multipart/form-data; boundary=" + boundary)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build();
        return http.send(r, HttpResponse.BodyHandlers.ofString());
    }

    /** Headless Chromium (as root it needs --no-sandbox); returns what it printed on stdout. */
    private String chromium(List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless=new", "--no-sandbox", "--disable-gpu",
            "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars", "--virtual-time-budget=5000",
            "--user-data-dir=" + dir.resolve("chromium-profile")));
        cmd.addAll(args);
        Path out = Files.createTempFile(dir, "chromium", ".out");
        Path err = Files.createTempFile(dir, "chromium", ".err");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("chromium did not finish within 180 s: " + Files.readString(err));
        }
        assertEquals(0, p.exitValue(), "chromium failed: " + Files.readString(err));
        return Files.readString(out);
    }
}
