package io.limiquantix.node.rpc.internal;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs src/test/python/lifecycle_client.py with Debian's Python (the one python3-grpcio installs into; a
 * pyenv or venv python on PATH would not have it). Without grpc, grpc_tools and protobuf the calling test
 * skips loudly, or fails when LQ_REQUIRE_REAL=1.
 */
final class PythonClient {
    static final String PYTHON = System.getenv().getOrDefault("LQ_PYTHON", "/usr/bin/python3");

    record Result(int exit, String out) {}

    private PythonClient() {}

    static void require() throws Exception {
        boolean present = Files.isExecutable(Path.of(PYTHON))
            && run(List.of(PYTHON, "-c", "import grpc, grpc_tools.protoc, google.protobuf"), 60).exit == 0;
        if (present) return;
        String msg = "REAL PART MISSING: " + PYTHON + " with grpc, grpc_tools and protobuf "
            + "(apt-get install python3-grpcio python3-protobuf python3-grpc-tools)";
        System.err.println("*** " + msg);
        if ("1".equals(System.getenv("LQ_REQUIRE_REAL"))) fail(msg);
        Assumptions.assumeTrue(false, msg);
    }

    static Result lifecycle(int port, Path tokenFile, Path kernel, Path initrd, int eventTimeoutSeconds, long timeoutSeconds)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(PYTHON, Path.of("src/test/python/lifecycle_client.py").toAbsolutePath().toString(),
            "--address", "127.0.0.1:" + port, "--token-file", tokenFile.toString(),
            "--proto-root", Path.of("src/main/proto").toAbsolutePath().toString(),
            "--kernel", kernel.toString(), "--initrd", initrd.toString(), "--event-timeout", Integer.toString(eventTimeoutSeconds)));
        Result r = run(cmd, timeoutSeconds);
        System.out.println(r.out());
        return r;
    }

    static Result run(List<String> command, long timeoutSeconds) throws IOException, InterruptedException {
        Path log = Files.createTempFile("lq-python-", ".log");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                return new Result(-1, "timed out after " + timeoutSeconds + " s\n" + Files.readString(log, StandardCharsets.UTF_8));
            }
            return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(-1, command.get(0) + " not runnable: " + e.getMessage());
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
