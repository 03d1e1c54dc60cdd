package io.limiquantix.node.systest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** libvirt's own view, through virsh on the machine's qemu:///system: independent of the node under test. */
final class Virsh {
    static final String URI = "qemu:///system";

    private Virsh() {}

    record Result(int exit, String out) {
    }

    static Result run(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("virsh", "-q", "-c", URI));
        cmd.addAll(Arrays.asList(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, "timed out: " + cmd);
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    static boolean available() {
        try {
            return run("version").exit() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Names of all defined domains (running or not) starting with {@code prefix}. */
    static List<String> names(String prefix) throws IOException, InterruptedException {
        Result r = run("list", "--all", "--name");
        if (r.exit() != 0) throw new IOException("virsh list failed: " + r.out());
        return r.out().lines().map(String::strip).filter(n -> n.startsWith(prefix)).sorted().toList();
    }

    static String state(String name) throws IOException, InterruptedException {
        Result r = run("domstate", name);
        return r.exit() == 0 ? r.out().strip() : "absent";
    }

    static String uuid(String name) throws IOException, InterruptedException {
        Result r = run("domuuid", name);
        return r.exit() == 0 ? r.out().strip() : "";
    }

    static String xml(String name) throws IOException, InterruptedException {
        return run("dumpxml", name).out();
    }

    /** The QEMU process of a running domain, from its pid file (libvirt writes /run/libvirt/qemu/NAME.pid). */
    static long qemuPid(String name) {
        try {
            return Long.parseLong(java.nio.file.Files.readString(java.nio.file.Path.of("/run/libvirt/qemu/" + name + ".pid")).strip());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** Removes every domain with {@code prefix}: the last line of cleanup, whatever the node did. */
    static void purge(String prefix) throws IOException, InterruptedException {
        for (String n : names(prefix)) {
            run("destroy", n);
            run("undefine", "--nvram", n);
            if (!state(n).equals("absent")) run("undefine", n);
        }
    }
}
