package io.limiquantix.node.cloudhv.internal.net;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@link TapDevices} through iproute2's {@code ip}: {@code ip tuntap add dev <tap> mode tap},
 * {@code ip link set <tap> master <bridge> up}, {@code ip link del <tap>}. Every command is an argument list
 * (never a shell string) with a bounded wait. Needs CAP_NET_ADMIN, which the node has as root.
 *
 * <p>The taps are single-queue: Cloud Hypervisor refuses a multi-queue tap unless the NIC has more than one
 * queue pair, and this backend leaves {@code num_queues} at its default (one pair).
 */
public final class IpTapDevices implements TapDevices {
    private static final List<Path> IP_CANDIDATES = List.of(Path.of("/usr/sbin/ip"), Path.of("/sbin/ip"), Path.of("/usr/bin/ip"),
        Path.of("/bin/ip"));
    /** The longest output kept for an error message; ip's answers are a line or two. */
    private static final int MAX_OUTPUT = 4096;

    private final List<String> ip;
    private final Duration timeout;

    /**
     * {@code ip} is the command that runs iproute2's ip, as an argument list: normally just its path; tests
     * prefix it to run inside a network namespace ({@code ip netns exec <ns> ip}).
     */
    public IpTapDevices(List<String> ip, Duration timeout) {
        this.ip = List.copyOf(ip);
        this.timeout = timeout;
    }

    /** The host's ip (found at its usual places, else left to PATH), with a 10 s bound per command. */
    public static IpTapDevices onHost() {
        String found = IP_CANDIDATES.stream().filter(Files::isExecutable).findFirst().map(Path::toString).orElse("ip");
        return new IpTapDevices(List.of(found), Duration.ofSeconds(10));
    }

    @Override
    public boolean usable() {
        String first = ip.get(0);
        return first.contains("/") ? Files.isExecutable(Path.of(first)) : onPath(first);
    }

    @Override
    public boolean exists(String tap) throws IOException {
        return run("-o", "link", "show", "dev", tap).status() == 0;
    }

    @Override
    public void create(String tap, String bridge) throws IOException {
        // Checked first so the operator reads "no bridge br0" rather than ip's "argument is wrong".
        Outcome br = run("-o", "link", "show", "dev", bridge, "type", "bridge");
        if (br.status() != 0)
            throw new IOException("bridge " + bridge + " does not exist on this host (needed for tap " + tap + "): " + br.output());
        if (br.output().isBlank())
            throw new IOException(bridge + " is not a Linux bridge (needed for tap " + tap + "; Open vSwitch bridges are not supported)");
        Outcome add = run("tuntap", "add", "dev", tap, "mode", "tap");
        if (add.status() != 0) throw new IOException("cannot create tap " + tap + " (does it exist already?): " + add.output());
        Outcome enslave = run("link", "set", tap, "master", bridge, "up");
        if (enslave.status() != 0) {
            Outcome undo = run("link", "del", tap);
            throw new IOException("cannot attach tap " + tap + " to bridge " + bridge + ": " + enslave.output()
                + (undo.status() == 0 ? "" : "; removing the tap failed too: " + undo.output()));
        }
    }

    @Override
    public void remove(String tap) throws IOException {
        if (!exists(tap)) return;
        Outcome del = run("link", "del", tap);
        if (del.status() != 0 && exists(tap)) throw new IOException("cannot remove tap " + tap + ": " + del.output());
    }

    private record Outcome(int status, String output) {
    }

    /** Runs the configured ip command with {@code args}. */
    private Outcome run(String... args) throws IOException {
        List<String> command = new ArrayList<>(ip);
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        try {
            // ip writes a line or two, far below a pipe's buffer, so it cannot block on output while we wait.
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish within " + timeout.toSeconds() + " s");
            }
            return new Outcome(p.exitValue(), read(p.getInputStream()));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + String.join(" ", command), e);
        }
    }

    private static String read(InputStream in) throws IOException {
        byte[] b = in.readNBytes(MAX_OUTPUT);
        return new String(b, StandardCharsets.UTF_8).strip();
    }

    private static boolean onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String d : path.split(java.io.File.pathSeparator))
            if (!d.isBlank() && Files.isExecutable(Path.of(d, name))) return true;
        return false;
    }
}
