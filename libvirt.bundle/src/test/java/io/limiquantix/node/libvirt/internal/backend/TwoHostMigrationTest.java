package io.limiquantix.node.libvirt.internal.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.BackendFailureException;
import io.limiquantix.node.api.BackendUnavailableException;
import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.MigrationOptions;
import io.limiquantix.node.api.MigrationResult;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.api.OperationProgress;
import io.limiquantix.node.api.UnsupportedFeatureException;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.storage.DiskSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Live migration between two real libvirt hosts: network namespaces pvA (10.77.0.1) and pvB (10.77.0.2),
 * each with its own libvirtd ({@code run/lib/two-hosts.sh}), real TCG guests (the test payload).
 *
 * <p>Runs only in the Surefire execution {@code two-hosts} of this module, whose JVM is started inside pvA by
 * {@code run/lib/netns-jdk/bin/java} (which also brings the hosts up and down); anywhere else it is skipped with
 * that reason (this class is excluded from the default execution, so that only happens with {@code -Dtest}).
 * Without the hosts it fails when LQ_REQUIRE_REAL=1.
 *
 * <p>Native migration TLS: the harness gives both hosts certificates from a CA it makes per run (and an untrusted
 * set for B); the TLS tests read the migration stream off pvA's veth with tcpdump ({@link MigrationCapture}).
 */
@Tag("two-hosts")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TwoHostMigrationTest {
    static final String URI_A = "qemu+tcp://10.77.0.1/system";
    static final String URI_B = "qemu+tcp://10.77.0.2/system";
    private static final Path PAYLOAD = Path.of("/var/lib/limiquantix/test-guest");
    private static final Duration BOOT_LIMIT = Duration.ofSeconds(120);
    private static final Pattern TICK = Pattern.compile("^TICK (\\d+) ", Pattern.MULTILINE);

    private Path base;
    private LibvirtHypervisor a;
    private LibvirtHypervisor b;
    private final List<String> guests = new ArrayList<>();

    @BeforeAll
    void hosts() {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("lq.twohosts") != null, "TwoHostMigrationTest runs only in"
            + " the Surefire execution 'two-hosts' (its JVM lives in network namespace pvA): mvn -pl libvirt.bundle test");
        base = hostsDir();
        LibvirtTestSupport.requireOrSkip(Files.isReadable(PAYLOAD.resolve("vmlinuz")), "guest payload missing at " + PAYLOAD);
        for (String uri : List.of(URI_A, URI_B)) {
            String why = DaemonProbe.answers(uri, 10);
            LibvirtTestSupport.requireOrSkip(why == null, "two-host libvirtd does not answer on " + uri + ": " + why
                + " (run/lib/two-hosts.sh up)");
        }
        a = LibvirtTestSupport.connected("pvA", URI_A, AccelDecision.Requested.TCG);
        b = LibvirtTestSupport.connected("pvB", URI_B, AccelDecision.Requested.TCG);
    }

    @AfterEach
    void removeGuests() {
        for (String id : guests) {
            for (LibvirtHypervisor h : new LibvirtHypervisor[] {a, b}) {
                LibvirtTestSupport.removeQuietly(h, id);
            }
        }
        guests.clear();
    }

    @AfterAll
    void close() {
        if (a != null) a.close();
        if (b != null) b.close();
    }

    // --- the tests ------------------------------------------------------------------------------------------

    @Test
    void liveThereAndBackTicksOnWithoutAGapAndDowntimeWithinTheLimit() {
        Guest g = boot("lq-mig", 128, "");
        Duration limit = Duration.ofSeconds(3);
        // 32 MiB/s: the ~90 MiB copy takes a few seconds, so the 500 ms progress polls see it (unbounded on an
        // idle machine it may finish before the second poll)
        MigrationOptions o = new MigrationOptions(true, true, limit, 32, false, false, false, false, null, null);

        for (String[] leg : new String[][] {{"A", "B"}, {"B", "A"}}) {
            LibvirtHypervisor from = host(leg[0]), to = host(leg[1]);
            List<OperationProgress> progress = new CopyOnWriteArrayList<>();
            MigrationResult r = from.migrate(g.id, uri(leg[1]), o, progress::add);
            System.out.printf("TwoHostMigrationTest: %s -> %s in %d ms, downtime %s, %d bytes%n", leg[0], leg[1],
                r.total().toMillis(), r.downtime(), r.bytesTransferred());
            assertEquals(VmState.RUNNING, to.status(g.id).state());
            assertThrows(NotFoundException.class, () -> from.status(g.id), "the source undefines the VM once it runs there");
            assertNotNull(r.downtime(), "the backend reports the downtime");
            assertTrue(r.downtime().compareTo(limit) <= 0, "downtime " + r.downtime() + " exceeds the limit " + limit);
            assertTrue(r.bytesTransferred() > 0);
            OperationProgress last = progress.get(progress.size() - 1);
            assertEquals("done", last.phase());
            assertNotNull(last.migration());
            assertEquals(r.downtime(), last.migration().downtime());
            assertTrue(progress.stream().anyMatch(p -> p.migration() != null && p.totalBytes() > 0 && p.phase().startsWith("copying")),
                "progress with byte counts and migration figures while it ran: " + progress);

            int lastThere = lastTick(log(leg[0], g.name));
            int firstHere = waitFirstTick(log(leg[1], g.name));
            assertEquals(lastThere + 1, firstHere, "the tick counter continues on the destination without a gap");
        }
    }

    @Test
    void busyGuestKeepsItsMemoryIntactAcrossRepeatedMigrations() {
        // Ten hops, as the issue asks (about 3 s each here). On an earlier CI host (AMD EPYC, nested) busy TCG guests
        // arrived corrupted in about 2 of 32 live migrations, always on a second or later hop; on this session's
        // host (Intel Xeon, TCG) 30 of 30 arrived intact (bench/migration.sh). See libvirt.bundle/README.md.
        int rounds = Integer.getInteger("lq.migration.rounds", 10);
        Guest g = boot("lq-memck", 160, " lq.memcheck=2");
        waitForLog(log("A", g.name), "MEMCHECK round 1 ");
        MigrationOptions o = new MigrationOptions(true, true, null, 0, true, false, false, false, Duration.ofMinutes(2),
            MigrationOptions.TimeoutPolicy.FORCE_COMPLETE);
        String at = "A";
        for (int i = 1; i <= rounds; i++) {
            String to = at.equals("A") ? "B" : "A";
            MigrationResult r = host(at).migrate(g.id, uri(to), o, null);
            System.out.printf("TwoHostMigrationTest: busy guest migration %d %s -> %s in %d ms, downtime %s%n", i, at, to,
                r.total().toMillis(), r.downtime());
            Path log = log(to, g.name);
            // two full checking rounds after arriving: a corrupted page shows up as MEMCHECK-BAD or a kernel oops
            int before = waitMemcheckRound(log, 0);
            waitMemcheckRound(log, before + 2);
            String text = read(log);
            assertFalse(text.contains("MEMCHECK-BAD"), "memory corrupted after migration " + i + ":\n" + tail(text));
            for (String oops : List.of("Oops", "BUG:", "general protection", "Kernel panic", "GUEST-UP"))
                assertFalse(text.contains(oops), "'" + oops + "' in the guest after migration " + i + ":\n" + tail(text));
            at = to;
        }
    }

    @Test
    void localQcow2DiskIsCopiedWithItsData() throws Exception {
        String name = "lq-migdisk-" + UUID.randomUUID().toString().substring(0, 6);
        Path onA = base.resolve("hostA/lib/images/" + name + ".qcow2");
        run("qemu-img", "create", "-q", "-f", "qcow2", onA.toString(), "64M");
        String word = "moved" + UUID.randomUUID().toString().substring(0, 6);
        Guest g = boot(name, 128, " lq.marker=" + word, "/var/lib/libvirt/images/" + name + ".qcow2");
        waitForLog(log("A", g.name), "MARKER-WRITTEN " + word);
        MigrationOptions o = new MigrationOptions(true, true, null, 0, false, false, false, true, null, null);
        List<OperationProgress> progress = new CopyOnWriteArrayList<>();
        MigrationResult r = a.migrate(g.id, URI_B, o, progress::add);
        System.out.printf("TwoHostMigrationTest: storage migration in %d ms, downtime %s%n", r.total().toMillis(), r.downtime());
        assertEquals(VmState.RUNNING, b.status(g.id).state());
        assertTrue(progress.stream().anyMatch(p -> p.phase().equals("preparing-storage")), "progress: " + progress);
        waitFirstTick(log("B", g.name));
        b.forceStopVm(g.id);
        Path onB = base.resolve("hostB/lib/images/" + name + ".qcow2");
        assertTrue(Files.exists(onB), "the disk was created on the destination");
        Path raw = Files.createTempFile("lq-migdisk", ".raw");
        try {
            run("qemu-img", "convert", "-f", "qcow2", "-O", "raw", onB.toString(), raw.toString());
            byte[] head = new byte[64];
            try (var in = Files.newInputStream(raw)) {
                in.readNBytes(head, 0, head.length);
            }
            assertTrue(new String(head, StandardCharsets.US_ASCII).startsWith("LQMARK:" + word),
                "the data written on A is on B's copy of the disk");
        } finally {
            Files.deleteIfExists(raw);
            b.deleteVm(g.id);
            Files.deleteIfExists(onA);
            Files.deleteIfExists(onB);
        }
    }

    @Test
    void abortTimeoutAndBadInputLeaveTheGuestOnTheSourceAndNothingOnTheDestination() throws Exception {
        Guest g = boot("lq-migabort", 128, "");
        // 1 MiB/s: the migration would take minutes, so it is surely still running when aborted
        MigrationOptions slow = new MigrationOptions(true, true, null, 1, false, false, false, false, null, null);
        List<OperationProgress> progress = new CopyOnWriteArrayList<>();
        CompletableFuture<MigrationResult> run = CompletableFuture.supplyAsync(() -> a.migrate(g.id, URI_B, slow, progress::add));
        LibvirtTestSupport.waitFor(Duration.ofSeconds(60), () -> progress.stream().anyMatch(p -> p.processedBytes() > 0),
            () -> "no transfer progress: " + progress);
        assertTrue(a.abortMigration(g.id), "a migration was running");
        var failure = assertThrows(java.util.concurrent.ExecutionException.class, () -> run.get(60, TimeUnit.SECONDS));
        assertTrue(failure.getCause() instanceof ConflictException, String.valueOf(failure.getCause()));
        assertTrue(failure.getCause().getMessage().contains("aborted on request"), failure.getCause().getMessage());
        stillOnA(g);
        assertFalse(a.abortMigration(g.id), "nothing to abort any more");

        MigrationOptions timeout = new MigrationOptions(true, true, null, 1, false, false, false, false, Duration.ofSeconds(3),
            MigrationOptions.TimeoutPolicy.ABORT);
        var e = assertThrows(BackendFailureException.class, () -> a.migrate(g.id, URI_B, timeout, null));
        assertTrue(e.getMessage().contains("did not complete within"), e.getMessage());
        stillOnA(g);

        // FORCE_COMPLETE: at the timeout the guest is paused so the capped copy converges; libvirt resumes it on
        // the destination (a long downtime, which is what forcing means)
        MigrationOptions force = new MigrationOptions(true, true, null, 16, false, false, false, false, Duration.ofSeconds(2),
            MigrationOptions.TimeoutPolicy.FORCE_COMPLETE);
        MigrationResult forced = a.migrate(g.id, URI_B, force, null);
        System.out.printf("TwoHostMigrationTest: forced completion in %d ms, downtime %s%n", forced.total().toMillis(), forced.downtime());
        assertEquals(VmState.RUNNING, b.status(g.id).state(), "resumed on the destination");
        waitForLog(log("B", g.name), "TICK ");
        b.migrate(g.id, URI_A, MigrationOptions.liveDefaults(), null);
        waitForLog(log("A", g.name), "TICK ");

        // the same guest then takes the bad-input cases (one boot less under TCG)
        badInputIsRefusedClearlyAndTheVmIsUntouched(g);
    }

    private void badInputIsRefusedClearlyAndTheVmIsUntouched(Guest g) {
        MigrationOptions live = MigrationOptions.liveDefaults();

        var unknown = assertThrows(InvalidArgumentException.class, () -> a.migrate(g.id, "qemu+tcp://no-such-host.invalid/system", live, null));
        assertEquals("targetUri", unknown.field());
        var unreachable = assertThrows(BackendUnavailableException.class, () -> a.migrate(g.id, "qemu+tcp://10.77.0.9/system", live, null));
        assertTrue(unreachable.getMessage().startsWith("targetUri:"), unreachable.getMessage());
        var self = assertThrows(InvalidArgumentException.class, () -> a.migrate(g.id, URI_A, live, null));
        assertEquals("targetUri", self.field());
        assertTrue(self.getMessage().contains("this host itself"), self.getMessage());
        var notUri = assertThrows(InvalidArgumentException.class, () -> a.migrate(g.id, "B", live, null));
        assertEquals("targetUri", notUri.field());
        assertThrows(NotFoundException.class, () -> a.migrate(UUID.randomUUID().toString(), URI_B, live, null));
        // post-copy: QEMU here has no userfaultfd, so the hypervisor refuses it; the VM stays
        MigrationOptions post = new MigrationOptions(true, true, null, 0, false, true, false, false, null, null);
        try {
            MigrationResult r = a.migrate(g.id, URI_B, post, null);
            // a host that supports post-copy migrates: bring it back for the rest of the test
            b.migrate(g.id, URI_A, live, null);
            System.out.println("TwoHostMigrationTest: post-copy is supported here: " + r);
        } catch (UnsupportedFeatureException refused) {
            assertEquals(Feature.POST_COPY_MIGRATION, refused.feature());
            assertTrue(refused.getMessage().startsWith("postCopy:"), refused.getMessage());
        }
        stillOnA(g);

        // not running: a live migration is refused, the stopped VM stays defined here
        a.forceStopVm(g.id);
        var stopped = assertThrows(ConflictException.class, () -> a.migrate(g.id, URI_B, live, null));
        assertTrue(stopped.getMessage().contains("not running"), stopped.getMessage());
        assertEquals(VmState.STOPPED, a.status(g.id).state());
        assertThrows(NotFoundException.class, () -> b.status(g.id));
        // ... and an offline migration moves the definition
        MigrationOptions offline = new MigrationOptions(false, true, null, 0, false, false, false, false, null, null);
        a.migrate(g.id, URI_B, offline, null);
        assertEquals(VmState.STOPPED, b.status(g.id).state());
        assertThrows(NotFoundException.class, () -> a.status(g.id));
    }

    /**
     * Native TLS of the migration stream ({@code tls=true}, {@code VIR_MIGRATE_TLS}): A → B with TLS, then B → A
     * without, both read off the wire.
     *
     * <p>How it proves that TLS was used: the guest's kernel command line carries a random word, so that word is in
     * the guest's RAM, which is what a migration copies. {@link MigrationCapture} runs tcpdump on pvA's veth for
     * the connections towards the destination's migration ports (not libvirtd's port 16509, whose RPC carries the
     * domain XML and so the word in plain text) and reassembles each connection. The TLS leg must have been
     * captured whole (its SYN, no holes, no kernel drops, at least as many bytes as libvirt says were transferred),
     * start with a TLS handshake record and not with QEMU's "QEVM" stream magic, and hold the word nowhere. The
     * plain leg back is the control that shows the check can fail: the same capture of the same guest must start
     * with "QEVM" and contain the word. (QEMU's {@code query-migrate-parameters} showing {@code tls-creds} during the
     * migration was also seen by hand, but it tells only what was configured, not what went over the wire.)
     * Both legs: the guest runs on the destination, is gone from the source, and its tick counter goes on at
     * exactly last + 1.
     */
    @Test
    void tlsMigrationArrivesRunningAndItsStreamIsEncryptedOnTheWire() throws Exception {
        requireTls();
        LibvirtTestSupport.requireOrSkip(MigrationCapture.tcpdump() != null, "tcpdump is not installed (./run/test installs it)");
        String word = "LQTLS" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
        byte[] marker = word.getBytes(StandardCharsets.US_ASCII);
        Guest g = boot("lq-migtls", 128, " lq.secret=" + word);
        Path dir = Files.createTempDirectory("lq-migtls");
        try {
            for (boolean tls : new boolean[] {true, false}) {
                String from = tls ? "A" : "B", to = tls ? "B" : "A";
                // 64 MiB/s: a bounded rate, so that tcpdump on a busy machine keeps up with the copy
                MigrationOptions o = new MigrationOptions(true, true, null, 64, false, false, tls, false, null, null);
                MigrationResult r;
                MigrationCapture.Result seen;
                try (MigrationCapture capture = MigrationCapture.start("pvA-veth", tls ? "10.77.0.2" : "10.77.0.1", dir)) {
                    r = host(from).migrate(g.id, uri(to), o, null);
                    seen = capture.stop(marker);
                }
                System.out.printf("TwoHostMigrationTest: %s -> %s tls=%s in %d ms, %d bytes; on the wire: %s%n", from, to, tls,
                    r.total().toMillis(), r.bytesTransferred(), seen);
                assertEquals(VmState.RUNNING, host(to).status(g.id).state(), "the VM runs on the destination");
                assertThrows(NotFoundException.class, () -> host(from).status(g.id), "the source undefined the VM");
                int lastThere = lastTick(log(from, g.name));
                int firstHere = waitFirstTick(log(to, g.name));
                assertEquals(lastThere + 1, firstHere, "the tick counter continues on the destination without a gap");

                assertTrue(seen.complete(), "the capture has every migration connection whole: " + seen);
                assertTrue(seen.bytes() >= r.bytesTransferred(), "captured " + seen.bytes() + " bytes, libvirt transferred "
                    + r.bytesTransferred() + ": " + seen);
                MigrationCapture.Stream first = seen.streams().get(0);
                if (tls) {
                    assertTrue(first.startsWithTlsHandshake(), "the TLS migration stream starts with a TLS handshake: " + seen);
                    assertFalse(first.startsWith(QEMU_STREAM_MAGIC), "the TLS migration stream is QEMU's plain format: " + seen);
                    assertEquals(0, seen.markers(), "the guest's secret word went over the wire in plain text with tls=true: " + seen);
                } else {
                    assertTrue(first.startsWith(QEMU_STREAM_MAGIC), "the plain migration stream starts with QEVM: " + seen);
                    assertTrue(seen.markers() > 0, "the control: the guest's word is visible in a plain migration: " + seen);
                }
            }
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        }
    }

    /**
     * TLS requested but the destination cannot take part: first host B presents certificates from a CA that A does
     * not trust (and that does not trust A's: the harness's {@code tls/foreign-hostB}), then B has no certificates
     * at all (an empty directory). Each time the migration fails with a {@code ConflictException} whose message
     * starts with {@code tls:} and carries QEMU's reason, the guest keeps running (ticking) on A and nothing is left
     * on B. With B's own certificates back, the same TLS migration goes through, so the failures were the
     * certificates'. B's directory is swapped by renaming while libvirtd runs: QEMU reads the files when libvirt
     * creates the TLS object for a migration, not at start; the test puts it back in any case.
     */
    @Test
    void tlsToAnUntrustedOrUncertifiedHostFailsAndTheVmStaysOnTheSource() throws Exception {
        requireTls();
        Guest g = boot("lq-migtlsbad", 128, "");
        MigrationOptions tls = new MigrationOptions(true, true, null, 0, false, false, true, false, null, null);
        Path certs = base.resolve("hostB/tls");
        Path foreign = base.resolve("tls/foreign-hostB");
        Path saved = base.resolve("hostB/tls.saved-by-test");
        Files.move(certs, saved, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        try {
            Files.move(foreign, certs, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            try {
                var untrusted = assertThrows(ConflictException.class, () -> a.migrate(g.id, URI_B, tls, null));
                System.out.println("TwoHostMigrationTest: TLS to a host with another CA's certificates: " + untrusted.getMessage());
                assertTrue(untrusted.getMessage().startsWith("tls: "), untrusted.getMessage());
                assertTrue(untrusted.getMessage().toLowerCase(java.util.Locale.ROOT).contains("certificate"), untrusted.getMessage());
                assertTrue(untrusted.getMessage().endsWith("the VM keeps running on this host"), untrusted.getMessage());
                stillOnA(g);
            } finally {
                Files.move(certs, foreign, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            Files.createDirectory(certs);
            try {
                var none = assertThrows(ConflictException.class, () -> a.migrate(g.id, URI_B, tls, null));
                System.out.println("TwoHostMigrationTest: TLS to a host without certificates: " + none.getMessage());
                assertTrue(none.getMessage().startsWith("tls: "), none.getMessage());
                assertTrue(none.getMessage().contains(certs.resolve("ca-cert.pem").toString()), "names the missing file: " + none.getMessage());
                assertTrue(none.getMessage().endsWith("the VM keeps running on this host"), none.getMessage());
                stillOnA(g);
            } finally {
                Files.delete(certs);
            }
        } finally {
            Files.move(saved, certs, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        a.migrate(g.id, URI_B, tls, null);
        assertEquals(VmState.RUNNING, b.status(g.id).state(), "with B's own certificates back, the TLS migration goes through");
        waitForLog(log("B", g.name), "TICK ");
    }

    // --- helpers --------------------------------------------------------------------------------------------

    /** The first bytes of QEMU's plain migration stream (QEMU_VM_FILE_MAGIC). */
    private static final byte[] QEMU_STREAM_MAGIC = "QEVM".getBytes(StandardCharsets.US_ASCII);

    /** The harness makes each host's migration TLS directory; hosts built by an older harness have none. */
    private void requireTls() {
        for (String h : List.of("A", "B"))
            for (String f : List.of("ca-cert.pem", "server-cert.pem", "server-key.pem", "client-cert.pem", "client-key.pem"))
                LibvirtTestSupport.requireOrSkip(Files.exists(base.resolve("host" + h + "/tls/" + f)), "host " + h + " has no migration"
                    + " TLS file " + base.resolve("host" + h + "/tls/" + f) + " (hosts built by an older run/lib/two-hosts.sh:"
                    + " run/lib/two-hosts.sh down, then run the tests again)");
        LibvirtTestSupport.requireOrSkip(Files.isDirectory(base.resolve("tls/foreign-hostB")), "no " + base.resolve("tls/foreign-hostB")
            + " (hosts built by an older run/lib/two-hosts.sh)");
    }

    /** Where run/lib/two-hosts.sh keeps the hosts' directories (the JVM's wrapper exports it). */
    static Path hostsDir() {
        String env = System.getenv("LQ_TWO_HOSTS");
        return Path.of(env == null || env.isBlank() ? "/var/tmp/limiquantix-two-hosts" : env);
    }

    private record Guest(String id, String name) {
    }

    private Guest boot(String prefix, long mib, String cmdline, String... qcow2Disks) {
        String id = UUID.randomUUID().toString();
        // a prefix that already ends in a random part (the disk test names its image after it) is the name
        String name = qcow2Disks.length > 0 ? prefix : prefix + "-" + id.substring(0, 8);
        VmSpec.Builder s = VmSpec.builder(name).id(id).vcpus(1).memoryMiB(mib)
            .kernelBoot(PAYLOAD.resolve("vmlinuz").toString(), PAYLOAD.resolve("initramfs.gz").toString(),
                "console=ttyS0 panic=-1" + cmdline)
            .serialConsole(true);
        for (int i = 0; i < qcow2Disks.length; i++) s.fileDisk("d" + i, qcow2Disks[i], DiskSource.Format.QCOW2);
        guests.add(id);
        a.createVm(s.build());
        a.startVm(id);
        waitFirstTick(log("A", name));
        return new Guest(id, name);
    }

    private void stillOnA(Guest g) {
        assertEquals(VmState.RUNNING, a.status(g.id).state(), "the VM keeps running on the source");
        assertThrows(NotFoundException.class, () -> b.status(g.id), "nothing is left on the destination");
        int now = lastTick(log("A", g.name));
        waitForLog(log("A", g.name), "TICK " + (now + 1) + " ");
    }

    private LibvirtHypervisor host(String h) {
        return h.equals("A") ? a : b;
    }

    private static String uri(String h) {
        return h.equals("A") ? URI_A : URI_B;
    }

    private Path log(String h, String name) {
        return base.resolve("host" + h + "/log/qemu/" + name + "-serial.log");
    }

    private static int lastTick(Path log) {
        Matcher m = TICK.matcher(read(log));
        int last = -1;
        while (m.find()) last = Integer.parseInt(m.group(1));
        return last;
    }

    private static int waitFirstTick(Path log) {
        waitForLog(log, "TICK ");
        Matcher m = TICK.matcher(read(log));
        assertTrue(m.find());
        return Integer.parseInt(m.group(1));
    }

    /** The number of the last MEMCHECK round reported, once it is above {@code atLeast}. */
    private static int waitMemcheckRound(Path log, int atLeast) {
        Pattern round = Pattern.compile("^MEMCHECK round (\\d+) ", Pattern.MULTILINE);
        int[] last = {-1};
        LibvirtTestSupport.waitFor(BOOT_LIMIT, () -> {
            Matcher m = round.matcher(read(log));
            while (m.find()) last[0] = Integer.parseInt(m.group(1));
            return last[0] > atLeast;
        }, () -> "no MEMCHECK round above " + atLeast + " in " + log + ":\n" + tail(read(log)));
        return last[0];
    }

    private static void waitForLog(Path log, String needle) {
        LibvirtTestSupport.waitFor(BOOT_LIMIT, () -> read(log).contains(needle),
            () -> "no '" + needle + "' in " + log + " within " + BOOT_LIMIT.toSeconds() + " s; it ends with:\n" + tail(read(log)));
    }

    private static String read(Path log) {
        try {
            return Files.readString(log, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "";
        }
    }

    private static String tail(String s) {
        return s.length() <= 2000 ? s : s.substring(s.length() - 2000);
    }

    private static void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), String.join(" ", cmd) + " did not finish");
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
    }
}
