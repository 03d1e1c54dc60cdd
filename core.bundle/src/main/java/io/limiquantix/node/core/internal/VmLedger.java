package io.limiquantix.node.core.internal;

import io.limiquantix.node.api.BackendFailureException;
import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.api.VmState;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * Which backend owns which VM, kept in memory and on disk. Thread-safe.
 *
 * <p>Changes that matter for never losing or half-defining a VM (insert, remove, pending-operation markers)
 * are written before the method returns, and the in-memory view only changes when the write succeeded.
 * Observed states are advisory (reconciliation re-learns them), so they are written a little later, in one
 * batch, instead of forcing the disk on every VM event.
 */
final class VmLedger implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(VmLedger.class.getName());
    private static final long STATE_FLUSH_DELAY_MS = 2000;
    /** Recently deleted ids, so a backend listing taken before a delete does not re-adopt the VM. */
    private static final int TOMBSTONES = 1024;

    private final LedgerFile file;
    private final Object lock = new Object();
    /** Changes waiting for the next write (see {@link #change}); guarded by itself, never held while writing. */
    private final List<Change> queued = new ArrayList<>();
    private Map<String, VmEntry> entries = new LinkedHashMap<>();
    private final Map<String, Instant> tombstones = new LinkedHashMap<>(16, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Instant> eldest) {
            return size() > TOMBSTONES;
        }
    };
    private final ScheduledExecutorService flusher = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = OwnThreads.daemon(r, "lq-ledger-flush");
        t.setDaemon(true);
        return t;
    });
    private boolean dirty;
    private boolean flushScheduled;

    private final FileChannel lockChannel;
    private final FileLock lockFile;

    private VmLedger(LedgerFile file, FileChannel lockChannel, FileLock lockFile) {
        this.file = file;
        this.lockChannel = lockChannel;
        this.lockFile = lockFile;
    }

    /**
     * Opens the ledger in {@code dataDir}; throws {@link LedgerFile.UnreadableException} rather than start empty.
     * The directory is locked for as long as the ledger is open: two node processes (or two bundle instances)
     * writing one ledger would each overwrite the other's VMs.
     */
    static VmLedger open(Path dataDir) {
        FileChannel channel = null;
        try {
            Files.createDirectories(dataDir);
            channel = FileChannel.open(dataDir.resolve("ledger.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) throw new LedgerFile.UnreadableException("the VM ledger in " + dataDir
                + " is in use by another process; only one node may use a data directory", null);
            VmLedger ledger = new VmLedger(new LedgerFile(dataDir), channel, lock);
            try {
                for (VmEntry e : ledger.file.load()) ledger.entries.put(e.id(), e);
            } catch (RuntimeException e) {
                ledger.close();
                throw e;
            }
            return ledger;
        } catch (OverlappingFileLockException e) {
            closeQuietly(channel);
            throw new LedgerFile.UnreadableException("the VM ledger in " + dataDir + " is already open in this JVM", e);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new LedgerFile.UnreadableException("cannot open the VM ledger in " + dataDir + ": " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static void closeQuietly(FileChannel c) {
        if (c == null) return;
        try {
            c.close();
        } catch (IOException ignored) {
            // Nothing to add to the error being reported.
        }
    }

    Path path() {
        return file.path();
    }

    Optional<VmEntry> get(String id) {
        synchronized (lock) {
            return Optional.ofNullable(entries.get(id));
        }
    }

    /** The entry for an id or a name; a name shared by adopted VMs must be disambiguated by id. */
    VmEntry resolve(String idOrName) {
        if (idOrName == null || idOrName.isBlank()) throw new NotFoundException("no VM named ''");
        synchronized (lock) {
            VmEntry byId = entries.get(idOrName);
            if (byId != null) return byId;
            List<VmEntry> named = entries.values().stream().filter(e -> e.name().equals(idOrName)).toList();
            if (named.size() == 1) return named.get(0);
            if (named.isEmpty()) throw new NotFoundException("no VM with id or name '" + idOrName + "'");
            throw new ConflictException("the name '" + idOrName + "' is shared by VMs "
                + named.stream().map(VmEntry::id).toList() + "; use the id");
        }
    }

    Optional<VmEntry> findByName(String name) {
        synchronized (lock) {
            return entries.values().stream().filter(e -> e.name().equals(name)).findFirst();
        }
    }

    List<VmEntry> all() {
        synchronized (lock) {
            return List.copyOf(entries.values());
        }
    }

    List<VmEntry> ofBackend(String backend) {
        synchronized (lock) {
            return entries.values().stream().filter(e -> e.backend().equals(backend)).toList();
        }
    }

    /**
     * Adds a VM and writes the ledger. With {@code uniqueName} a name already in use is a conflict; adopted
     * VMs skip that check because they exist whatever their name, and losing track of one is worse.
     */
    void insert(VmEntry entry, boolean uniqueName) {
        change(next -> {
            if (next.containsKey(entry.id())) throw new ConflictException("a VM with id " + entry.id() + " already exists");
            if (uniqueName) {
                Optional<VmEntry> clash = next.values().stream().filter(e -> e.name().equals(entry.name())).findFirst();
                if (clash.isPresent())
                    throw new ConflictException("the name '" + entry.name() + "' is already used by VM " + clash.get().id());
            }
            next.put(entry.id(), entry);
            return Boolean.TRUE;
        }, () -> tombstones.remove(entry.id()));
    }

    /** Applies {@code change} to the entry and writes the ledger; returns the new entry. */
    VmEntry update(String id, UnaryOperator<VmEntry> change) {
        return change(next -> {
            VmEntry old = next.get(id);
            if (old == null) throw new NotFoundException("no VM with id " + id + " in the ledger");
            VmEntry changed = change.apply(old);
            if (!changed.id().equals(id)) throw new IllegalArgumentException("an update must not change the id");
            next.put(id, changed);
            return changed;
        }, null);
    }

    /** Removes the VM and writes the ledger; removing an absent VM is a no-op. */
    void remove(String id) {
        change(next -> next.remove(id) == null ? null : Boolean.TRUE, () -> tombstones.put(id, Instant.now()));
    }

    /**
     * One change of the ledger, queued for the next write. {@code apply} checks the change against the ledger
     * as the changes queued before it leave it and, unless it refuses by throwing (having changed nothing),
     * changes that map; it returns the caller's answer, null meaning "nothing changed, nothing to write".
     */
    private static final class Change {
        final java.util.function.Function<Map<String, VmEntry>, Object> apply;
        final Runnable onWritten;
        boolean done;
        Object result;
        RuntimeException failure;

        Change(java.util.function.Function<Map<String, VmEntry>, Object> apply, Runnable onWritten) {
            this.apply = apply;
            this.onWritten = onWritten;
        }
    }

    /**
     * Group commit: a change joins the queue, then waits for the ledger lock. Whoever gets the lock applies
     * every change queued so far, in order, to a copy of the ledger and writes that copy once; each caller
     * returns only after the write that holds its change succeeded, and the in-memory ledger changes only then.
     * Concurrent creations (10,000 VMs) thus share writes instead of rewriting the whole file once each. A failed
     * write fails every change it held.
     */
    @SuppressWarnings("unchecked")
    private <T> T change(java.util.function.Function<Map<String, VmEntry>, T> apply, Runnable onWritten) {
        Change c = new Change((java.util.function.Function<Map<String, VmEntry>, Object>) apply, onWritten);
        synchronized (queued) {
            queued.add(c);
        }
        synchronized (lock) {
            if (!c.done) writeQueued();
            if (c.failure != null) throw c.failure;
            return (T) c.result;
        }
    }

    /** Holding {@link #lock}: applies and writes every queued change. */
    private void writeQueued() {
        List<Change> batch;
        synchronized (queued) {
            batch = new ArrayList<>(queued);
            queued.clear();
        }
        Map<String, VmEntry> next = new LinkedHashMap<>(entries);
        List<Change> written = new ArrayList<>();
        for (Change c : batch) {
            try {
                c.result = c.apply.apply(next);
                if (c.result != null) written.add(c);
            } catch (RuntimeException e) {
                c.failure = e;
            } catch (Error e) {
                // Not this caller's error alone to throw from another caller's thread: reported to it, wrapped.
                c.failure = new IllegalStateException("the ledger change failed: " + e, e);
            }
            c.done = true;
        }
        if (written.isEmpty()) return;
        try {
            commit(next);
        } catch (RuntimeException | Error e) {
            for (Change c : written) {
                c.result = null;
                c.failure = e instanceof BackendFailureException ? new BackendFailureException(e.getMessage(), e)
                    : e instanceof RuntimeException re ? re : new IllegalStateException("writing the ledger failed: " + e, e);
            }
            return;
        }
        for (Change c : written) if (c.onWritten != null) c.onWritten.run();
    }

    /** Whether {@code id} was removed at or after {@code since}. */
    boolean removedSince(String id, Instant since) {
        synchronized (lock) {
            Instant at = tombstones.get(id);
            return at != null && !at.isBefore(since);
        }
    }

    /** Records an observed state; written in the next batch. Returns false when the VM is not in the ledger. */
    boolean recordState(String id, VmState state, String reason) {
        synchronized (lock) {
            boolean known = putState(id, state, reason);
            scheduleFlushIfDirty();
            return known;
        }
    }

    /** A state observed for one VM, for {@link #recordStates}. */
    record Observed(String id, VmState state, String reason) {
    }

    /**
     * {@link #recordState} for a whole listing under one acquisition of the lock (a listing of 10,000 VMs used to
     * queue 10,000 times behind ledger writes). Unchanged states cost a map lookup each.
     */
    void recordStates(List<Observed> observed) {
        if (observed.isEmpty()) return;
        synchronized (lock) {
            for (Observed o : observed) putState(o.id(), o.state(), o.reason());
            scheduleFlushIfDirty();
        }
    }

    /** Under {@link #lock}: records the state in memory; marks the ledger dirty when the state itself changed. */
    private boolean putState(String id, VmState state, String reason) {
        VmEntry old = entries.get(id);
        if (old == null) return false;
        String r = reason == null ? "" : reason;
        if (old.lastKnownState() == state && old.stateReason().equals(r)) return true;
        entries.put(id, old.withState(state, r));
        // A new reason alone (backends word them differently from call to call) rides along with the
        // next write instead of causing one.
        if (old.lastKnownState() != state) dirty = true;
        return true;
    }

    /** Under {@link #lock}: a delayed write of pending state changes, unless one is already scheduled. */
    private void scheduleFlushIfDirty() {
        if (!dirty || flushScheduled) return;
        flushScheduled = true;
        try {
            flusher.schedule(this::flushQuietly, STATE_FLUSH_DELAY_MS, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            flushScheduled = false;
        }
    }

    /** Writes pending state changes now. */
    void flush() throws IOException {
        synchronized (lock) {
            flushScheduled = false;
            if (!dirty) return;
            file.write(new ArrayList<>(entries.values()));
            dirty = false;
        }
    }

    private void flushQuietly() {
        try {
            flush();
        } catch (IOException e) {
            LOG.log(Level.ERROR, "cannot write VM states to the ledger " + file.path() + ": " + e);
        }
    }

    private void commit(Map<String, VmEntry> next) {
        try {
            file.write(new ArrayList<>(next.values()));
        } catch (IOException e) {
            throw new BackendFailureException("cannot write the VM ledger " + file.path() + ": " + e, e);
        }
        entries = next;
        dirty = false;
    }

    @Override
    public void close() {
        flusher.shutdownNow();
        flushQuietly();
        try {
            if (lockFile.isValid()) lockFile.release();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "releasing the ledger lock failed: " + e);
        }
        closeQuietly(lockChannel);
    }
}
