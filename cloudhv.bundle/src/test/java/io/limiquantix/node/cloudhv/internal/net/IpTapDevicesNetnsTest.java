package io.limiquantix.node.cloudhv.internal.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The production {@link IpTapDevices} against the real kernel, inside a network namespace this test creates
 * and deletes: the host's own interfaces are never touched. Skipped, loudly, where namespaces cannot be made
 * (no root, no iproute2); with {@code LQ_REQUIRE_REAL=1} that is a failure instead.
 */
class IpTapDevicesNetnsTest {
    private static final String NS = "lqch-test-" + ProcessHandle.current().pid();
    private static final String BRIDGE = "lqchtestbr0";
    private static final String TAP = "lqchdeadbeef0";
    private static boolean created;

    @BeforeAll
    static void namespace() throws Exception {
        Result add;
        try {
            add = sh("ip", "netns", "add", NS);
        } catch (IOException noIp) {
            add = new Result(-1, "iproute2 is not installed: " + noIp.getMessage());
        }
        created = add.status == 0;
        if (!created) skipOrFail("cannot create network namespace " + NS + " (" + add.output.strip() + ")");
        // ip netns exec also needs to mount a private /sys; some containers allow the namespace but not that.
        Result br = sh("ip", "netns", "exec", NS, "ip", "link", "add", BRIDGE, "type", "bridge");
        if (br.status != 0) skipOrFail("cannot create a bridge inside namespace " + NS + " (" + br.output.strip() + ")");
    }

    private static void skipOrFail(String why) {
        String message = why + ": the real tap test does not run here";
        if ("1".equals(System.getenv("LQ_REQUIRE_REAL"))) throw new AssertionError(message + ", and LQ_REQUIRE_REAL=1");
        System.err.println("SKIPPED (loudly): " + message);
        Assumptions.abort(message);
    }

    @AfterAll
    static void deleteNamespace() throws Exception {
        if (!created) return;
        Result del = sh("ip", "netns", "del", NS);
        assertEquals(0, del.status, "the test namespace must go: " + del.output);
        assertFalse(sh("ip", "netns", "list").output.contains(NS), "namespace " + NS + " left behind");
    }

    private static IpTapDevices taps() {
        return new IpTapDevices(List.of("ip", "netns", "exec", NS, "ip"), Duration.ofSeconds(10));
    }

    @Test
    void aTapIsCreatedOnItsBridgeUpAndRemoved() throws Exception {
        IpTapDevices taps = taps();
        assertTrue(taps.usable());
        assertFalse(taps.exists(TAP));
        taps.create(TAP, BRIDGE);
        assertTrue(taps.exists(TAP));
        String link = sh("ip", "-n", NS, "-o", "link", "show", "dev", TAP).output;
        assertTrue(link.contains("master " + BRIDGE), link);
        assertTrue(link.matches("(?s).*<[^>]*\\bUP\\b[^>]*>.*"), "the tap is up: " + link);
        String details = sh("ip", "-n", NS, "-d", "-o", "link", "show", "dev", TAP).output;
        assertTrue(details.contains("tun type tap"), "a tap, not some other link: " + details);
        assertFalse(details.contains("multi_queue"), "single-queue, as CH's default NIC expects: " + details);

        IOException taken = assertThrows(IOException.class, () -> taps.create(TAP, BRIDGE));
        assertTrue(taken.getMessage().contains(TAP), taken.getMessage());

        taps.remove(TAP);
        assertFalse(taps.exists(TAP));
        assertFalse(sh("ip", "-n", NS, "-o", "link", "show").output.contains(TAP));
        taps.remove(TAP); // absent: not an error
    }

    @Test
    void aMissingBridgeIsNamedAndNoTapIsLeftBehind() throws Exception {
        IpTapDevices taps = taps();
        IOException e = assertThrows(IOException.class, () -> taps.create("lqchdeadbeef1", "lqchnobr"));
        assertTrue(e.getMessage().contains("bridge lqchnobr does not exist"), e.getMessage());
        assertFalse(taps.exists("lqchdeadbeef1"));

        IOException notABridge = assertThrows(IOException.class, () -> taps.create("lqchdeadbeef2", "lo"));
        assertTrue(notABridge.getMessage().contains("lo is not a Linux bridge"), notABridge.getMessage());
        assertFalse(taps.exists("lqchdeadbeef2"));
    }

    private record Result(int status, String output) {
    }

    private static Result sh(String... command) throws Exception {
        Process p = new ProcessBuilder(new ArrayList<>(List.of(command))).redirectErrorStream(true).start();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish");
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}
