package io.limiquantix.node.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.limiquantix.node.api.VmState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ledger survives a crash at any point of a write (issue #10): every byte-length prefix of
 * {@code ledger.json} (a crash mid-write on a file system without atomic rename, or a torn sector) and of
 * {@code .prev}, half-written temporary files, and the exact order of the system calls that make a write
 * durable — data forced before the rename, the directory forced after it — observed with strace on a real
 * JVM writing a real ledger.
 */
class LedgerCrashTest {
    @TempDir
    Path dir;
    @TempDir
    Path scratchRoot;

    private static final String A = "11111111-1111-4111-8111-111111111111";
    private static final String B = "22222222-2222-4222-8222-222222222222";
    private static final String C = "33333333-3333-4333-8333-333333333333";

    /** Three generations: {A}, {A,B}, {A,B,C}; .prev then holds {A,B}. */
    private void threeGenerations() {
        try (VmLedger ledger = VmLedger.open(dir)) {
            ledger.insert(VmEntry.adopted(A, "a", "qemu", VmState.RUNNING, ""), false);
            ledger.insert(VmEntry.adopted(B, "b", "qemu", VmState.STOPPED, ""), false);
            ledger.insert(VmEntry.adopted(C, "c", "test", VmState.RUNNING, "").withPending("start"), false);
        }
    }

    private static Set<String> ids(Path dataDir) {
        try (VmLedger l = VmLedger.open(dataDir)) {
            return l.all().stream().map(VmEntry::id).collect(Collectors.toSet());
        }
    }

    private static Path copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(from)) {
            for (Path p : s.toList()) if (!p.getFileName().toString().equals("ledger.lock")) Files.copy(p, to.resolve(p.getFileName()));
        }
        return to;
    }

    /** Loads with LedgerFile alone (no lock, no flusher thread) and without its per-load SEVERE lines. */
    private static Set<String> load(Path dataDir) {
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger(LedgerFile.class.getName());
        java.util.logging.Level was = jul.getLevel();
        jul.setLevel(java.util.logging.Level.OFF);
        try {
            return new LedgerFile(dataDir).load().stream().map(VmEntry::id).collect(Collectors.toSet());
        } finally {
            jul.setLevel(was);
        }
    }

    @Test
    void everyTruncationOfTheLedgerFallsBackToTheWholePreviousVersion() throws Exception {
        threeGenerations();
        byte[] current = Files.readAllBytes(dir.resolve("ledger.json"));
        assertEquals(Set.of(A, B, C), ids(dir));
        Path d = copy(dir, scratchRoot.resolve("trunc"));
        for (int len = 0; len < current.length; len++) {
            Files.write(d.resolve("ledger.json"), Arrays.copyOf(current, len));
            // Never a partial set and never empty: the whole previous version (a strict prefix of a JSON
            // document never parses, so the current one cannot be taken half).
            assertEquals(Set.of(A, B), load(d), "ledger.json cut at byte " + len + " of " + current.length);
        }
        System.out.println("ledger.json cut at each of " + current.length + " byte offsets: .prev recovered every time");
        // And the node, opening such a directory for real, keeps the cut file aside and goes on from .prev.
        Files.write(d.resolve("ledger.json"), Arrays.copyOf(current, current.length / 2));
        assertEquals(Set.of(A, B), ids(d));
    }

    @Test
    void everyTruncationOfPrevIsHarmlessWhileTheLedgerIsWhole() throws Exception {
        threeGenerations();
        byte[] prev = Files.readAllBytes(dir.resolve("ledger.json.prev"));
        Path d = copy(dir, scratchRoot.resolve("truncprev"));
        for (int len = 0; len < prev.length; len += 3) { // every third offset: .prev is the fallback, not the claim
            Files.write(d.resolve("ledger.json.prev"), Arrays.copyOf(prev, len));
            assertEquals(Set.of(A, B, C), load(d), ".prev cut at byte " + len);
        }
    }

    @Test
    void halfWrittenTemporaryFilesAreNeverTakenForTheLedgerAndAreRemoved() throws Exception {
        threeGenerations();
        byte[] current = Files.readAllBytes(dir.resolve("ledger.json"));
        Files.write(dir.resolve("ledger.json.123.tmp"), Arrays.copyOf(current, current.length / 3));
        Files.write(dir.resolve("ledger.json.prev.456.tmp"), "{\"format\":1,\"vms\":[]}".getBytes(StandardCharsets.UTF_8));
        assertEquals(Set.of(A, B, C), ids(dir));
        try (Stream<Path> s = Files.list(dir)) {
            assertFalse(s.anyMatch(p -> p.toString().endsWith(".tmp")), "leftover temporary files are removed at load");
        }
    }

    @Test
    void aPendingMarkerSurvivesTheCrashAndIsLoaded() {
        threeGenerations();
        try (VmLedger l = VmLedger.open(dir)) {
            assertEquals("start", l.get(C).orElseThrow().pendingOperation());
        }
    }

    /** Entry point of the child JVM that strace watches: one ledger write into the directory given. */
    public static void main(String[] args) {
        try (VmLedger l = VmLedger.open(Path.of(args[0]))) {
            l.insert(VmEntry.adopted(A, "a", "qemu", VmState.RUNNING, ""), false);
            l.insert(VmEntry.adopted(B, "b", "qemu", VmState.RUNNING, ""), false);
        }
    }

    @Test
    void dataIsForcedBeforeTheRenameAndTheDirectoryAfterIt() throws Exception {
        boolean strace = Files.isExecutable(Path.of("/usr/bin/strace"));
        if (!strace) {
            if ("1".equals(System.getenv("LQ_REQUIRE_REAL"))) fail("strace is not installed (LQ_REQUIRE_REAL=1)");
            Assumptions.abort("strace is not installed");
        }
        Path data = dir.resolve("traced");
        Path trace = dir.resolve("trace.txt");
        Process p = new ProcessBuilder("strace", "-f", "-y", "-qq", "-o", trace.toString(),
            "-e", "trace=fsync,fdatasync,rename,renameat,renameat2",
            Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", System.getProperty("java.class.path"),
            LedgerCrashTest.class.getName(), data.toString())
            .redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the traced JVM did not finish");
        assertEquals(0, p.exitValue(), () -> read(dir.resolve("child.log")));
        assertEquals(Set.of(A, B), ids(data));
        // Keep the calls on the ledger's files and directory, in order.
        String dirName = data.toString();
        List<String> calls = new ArrayList<>();
        for (String line : Files.readAllLines(trace)) {
            if (!line.contains(dirName) || line.contains("resumed>")) continue;
            String call = line.replaceFirst("^\\d+\\s+", "");
            if (call.startsWith("fsync(") || call.startsWith("fdatasync(") || call.startsWith("rename")) calls.add(call);
        }
        System.out.println("system calls of two ledger writes:\n  " + String.join("\n  ", calls));
        // For the second write (.prev exists from then on): fsync(new tmp) < rename(tmp -> ledger.json) < fsync(dir).
        int renameToLedger = -1;
        for (int i = calls.size() - 1; i >= 0; i--)
            if (calls.get(i).startsWith("rename") && calls.get(i).matches(".*\\.tmp\".*/ledger\\.json\".*")) {
                renameToLedger = i;
                break;
            }
        assertTrue(renameToLedger > 0, "no rename of a temporary file over ledger.json: " + calls);
        String renamed = calls.get(renameToLedger).replaceFirst(".*\"([^\"]*ledger\\.json\\.[^\"]*\\.tmp)\".*", "$1");
        int fsyncTmp = -1;
        for (int i = 0; i < renameToLedger; i++)
            if ((calls.get(i).startsWith("fsync(") || calls.get(i).startsWith("fdatasync(")) && calls.get(i).contains(renamed + ">"))
                fsyncTmp = i;
        assertTrue(fsyncTmp >= 0, "the new ledger " + renamed + " was not forced before its rename: " + calls);
        boolean dirForced = false;
        for (int i = renameToLedger + 1; i < calls.size(); i++)
            if (calls.get(i).startsWith("fsync(") && calls.get(i).contains("<" + dirName + ">")) dirForced = true;
        assertTrue(dirForced, "the directory was not forced after the rename: " + calls);
        boolean prevByRename = calls.stream().anyMatch(c -> c.startsWith("rename") && c.contains("ledger.json.prev\""));
        assertTrue(prevByRename, ".prev is replaced by a rename too: " + calls);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
