package io.limiquantix.node.cloudhv.internal.chapi;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.cloudhv.standin.SpecValidator;
import io.limiquantix.node.cloudhv.standin.StandInVmmServer;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client makes its HTTP client and JSON mapper only when a VMM is first called, so that a node without
 * Cloud Hypervisor does not pay for them at start; once closed it refuses calls instead of starting again.
 */
class ChApiClientLazyTest {
    @TempDir Path tmp;

    @Test
    void nothingIsStartedUntilTheFirstCallAndACallAfterCloseIsRefused() throws Exception {
        ChApiClient client = new ChApiClient(Duration.ofSeconds(5));
        assertFalse(client.clientStarted(), "a new client has no HTTP client yet");
        Path socket = tmp.resolve("api.sock");
        try (StandInVmmServer vmm = new StandInVmmServer(socket, SpecValidator.fromClasspath(), new StandInVmmServer.Hooks() {
            @Override
            public void vmmShutdown() { }

            @Override
            public void guestPoweredOff() { }
        }, null).start()) {
            assertTrue(client.answers(socket, Duration.ofSeconds(5)), "the stand-in VMM answers a ping through the lazily made client");
            assertTrue(client.clientStarted());
        } finally {
            client.close();
        }
        assertFalse(client.clientStarted(), "close drops the HTTP client");
        ChApiException refused = assertThrows(ChApiException.class, () -> client.send(socket, new ChRequests.VmmPing()));
        assertTrue(refused.getMessage().contains("stopping"), refused.getMessage());
        assertFalse(client.clientStarted(), "a call after close does not start a new HTTP client");
    }

    @Test
    void closingAClientThatWasNeverUsedIsHarmless() {
        ChApiClient client = new ChApiClient(Duration.ofSeconds(5));
        client.close();
        assertFalse(client.clientStarted());
    }
}
