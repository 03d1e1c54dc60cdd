package io.limiquantix.node.rpc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.limiquantix.node.rpc.v1.GetHealthRequest;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutual TLS with certificates made by openssl for the test: a client with a certificate from the configured
 * CA gets in (and still needs the token); a client without a certificate, or with one from another CA, does not.
 */
class MutualTlsTest {
    @TempDir Path dir;

    private void openssl(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        PythonClient.Result r = PythonClient.run(cmd, 60);
        assertEquals(0, r.exit(), String.join(" ", cmd) + "\n" + r.out());
    }

    /** A CA, and a certificate with key signed by it; keys are PKCS#8 PEM, as the JDK's TLS needs. */
    private void ca(String name) throws Exception {
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-subj", "/CN=" + name, "-keyout", dir.resolve(name + ".key").toString(), "-out", dir.resolve(name + ".pem").toString());
    }

    private void cert(String name, String ca, String san) throws Exception {
        Path ext = dir.resolve(name + ".ext");
        java.nio.file.Files.writeString(ext, "subjectAltName=" + san + "\n");
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=" + name,
            "-keyout", dir.resolve(name + ".key").toString(), "-out", dir.resolve(name + ".csr").toString());
        openssl("x509", "-req", "-in", dir.resolve(name + ".csr").toString(), "-CA", dir.resolve(ca + ".pem").toString(),
            "-CAkey", dir.resolve(ca + ".key").toString(), "-CAcreateserial", "-days", "2", "-extfile", ext.toString(),
            "-out", dir.resolve(name + ".pem").toString());
    }

    private boolean healthy(int port, ChannelCredentials credentials, String token) throws InterruptedException {
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port, credentials).build();
        try {
            return FelixNode.stub(channel, token).withDeadlineAfter(20, TimeUnit.SECONDS)
                .getHealth(GetHealthRequest.getDefaultInstance()).getServing();
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void onlyClientsWithACertificateFromTheConfiguredCaGetIn() throws Exception {
        Assumptions.assumeTrue(PythonClient.run(List.of("openssl", "version"), 30).exit() == 0, "openssl is needed to make certificates");
        ca("node-ca");
        ca("other-ca");
        cert("node", "node-ca", "IP:127.0.0.1");
        cert("operator", "node-ca", "DNS:operator");
        cert("intruder", "other-ca", "DNS:intruder");

        InMemoryTestNodeService node = new InMemoryTestNodeService();
        String token = TokenFile.loadOrCreate(dir.resolve("rpc-token"));
        RpcConfig config = new RpcConfig(InetAddress.getLoopbackAddress(), 0, dir.resolve("rpc-token"),
            dir.resolve("node.pem"), dir.resolve("node.key"), dir.resolve("node-ca.pem"), RpcConfig.DEFAULT_MAX_MESSAGE_BYTES);
        try (RpcServer server = RpcServer.start(config, RpcServer.service(() -> node, token))) {
            int port = server.port();
            ChannelCredentials operator = TlsChannelCredentials.newBuilder()
                .keyManager(dir.resolve("operator.pem").toFile(), dir.resolve("operator.key").toFile())
                .trustManager(dir.resolve("node-ca.pem").toFile()).build();
            assertTrue(healthy(port, operator, token));
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> healthy(port, operator, "a-certificate-is-not-enough-without-the-token"));
            assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());

            ChannelCredentials anonymous = TlsChannelCredentials.newBuilder()
                .trustManager(dir.resolve("node-ca.pem").toFile()).build();
            e = assertThrows(StatusRuntimeException.class, () -> healthy(port, anonymous, token));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), "no client certificate: " + e);

            ChannelCredentials intruder = TlsChannelCredentials.newBuilder()
                .keyManager(dir.resolve("intruder.pem").toFile(), dir.resolve("intruder.key").toFile())
                .trustManager(dir.resolve("node-ca.pem").toFile()).build();
            e = assertThrows(StatusRuntimeException.class, () -> healthy(port, intruder, token));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), "certificate from another CA: " + e);
            assertEquals(List.of("backends"), node.calls, "only the operator's authenticated call reached the node");
        }
    }
}
