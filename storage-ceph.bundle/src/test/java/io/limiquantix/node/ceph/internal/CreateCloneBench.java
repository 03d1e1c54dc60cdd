package io.limiquantix.node.ceph.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.limiquantix.node.api.ProgressListener;
import io.limiquantix.node.api.storage.VolumeSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Create a 10 GiB image, snapshot it, clone the snapshot: through the provider (one connection, librbd in
 * process) and through the {@code rbd} CLI (a process and a connection per step), in the same run on the
 * same cluster. Not a test: run it with {@code bench/create-clone.sh}. The images are thin, so this
 * measures metadata round trips, not data.
 */
@EnabledIfSystemProperty(named = "lq.bench", matches = "1")
class CreateCloneBench {
    private static final long SIZE = 10L << 30;
    private static final int ROUNDS = Integer.getInteger("lq.bench.rounds", 5);

    @Test
    void providerVersusCli() throws Exception {
        Path dir = RealCluster.dir();
        List<Long> viaProvider = new ArrayList<>();
        List<Long> viaCli = new ArrayList<>();
        try (RbdVolumeProvider provider = RealCluster.provider(Map.of())) {
            provider.list(); // connect outside the measurement: a node keeps its connection
            for (int i = 0; i < ROUNDS; i++) {
                String p = "bench-p" + i, c = "bench-c" + i;
                long t0 = System.nanoTime();
                provider.create(new VolumeSpec(p, SIZE, null, Map.of()), ProgressListener.NONE);
                provider.createSnapshot(p, "s");
                provider.cloneFromSnapshot(p, "s", c);
                viaProvider.add(System.nanoTime() - t0);
                cleanUp(provider, p, c);

                t0 = System.nanoTime();
                rbd(dir, "create", "--size", "10G", "rbd/" + p);
                rbd(dir, "snap", "create", "rbd/" + p + "@s");
                rbd(dir, "snap", "protect", "rbd/" + p + "@s");
                rbd(dir, "clone", "rbd/" + p + "@s", "rbd/" + c);
                viaCli.add(System.nanoTime() - t0);
                assertEquals(SIZE, provider.info(c).sizeBytes());
                cleanUp(provider, p, c);
            }
        }
        double provider = median(viaProvider) / 1e6, cli = median(viaCli) / 1e6;
        System.out.printf("create+snapshot+clone of a 10 GiB image, median of %d: provider %.1f ms, rbd CLI %.1f ms, CLI/provider = %.2f%n",
            ROUNDS, provider, cli, cli / provider);
    }

    private static void cleanUp(RbdVolumeProvider provider, String parent, String clone) {
        provider.delete(clone);
        provider.deleteSnapshot(parent, "s");
        provider.delete(parent);
    }

    private static void rbd(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("rbd", "-c", dir.resolve("ceph.conf").toString(),
            "--keyring", dir.resolve("ceph.client.admin.keyring").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IllegalStateException(cmd + ": " + out);
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
