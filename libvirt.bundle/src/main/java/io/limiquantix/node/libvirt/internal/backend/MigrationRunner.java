package io.limiquantix.node.libvirt.internal.backend;

import io.limiquantix.node.api.BackendFailureException;
import io.limiquantix.node.api.BackendUnavailableException;
import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.HypervisorException;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.MigrationOptions;
import io.limiquantix.node.api.MigrationResult;
import io.limiquantix.node.api.MigrationStats;
import io.limiquantix.node.api.OperationProgress;
import io.limiquantix.node.api.ProgressListener;
import io.limiquantix.node.api.UnsupportedFeatureException;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.VmStatus;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;

/**
 * Live (and offline) migration of one domain to another libvirt host.
 *
 * <p>Order of a migration: check the input; connect to the destination from here (it must answer, and must not
 * be this host); for a storage migration create each local disk on the destination; set the maximum downtime;
 * start the migration (peer-to-peer: {@code virDomainMigrateToURI}, the source libvirtd talks to the
 * destination itself; otherwise {@code virDomainMigrate} through our connection to the destination) with the
 * domain persisted there and undefined here when it runs there; meanwhile a watcher polls the job statistics
 * every 500 ms for progress, enforces the completion timeout (ABORT cancels the job, FORCE_COMPLETE switches to
 * post-copy when it is on, else pauses the guest so the last pass converges) and serves abort requests.
 * Afterwards the destination's statistics of the completed job give the downtime. On failure or abort, disks
 * prepared on the destination are deleted, a definition left there is removed, a guest paused by
 * FORCE_COMPLETE is resumed, and the error says the VM keeps running here.
 */
final class MigrationRunner {
    private static final Logger LOG = Logger.getLogger(MigrationRunner.class.getName());
    /** QEMU's own default; set explicitly so a limit from an earlier migration does not linger in QEMU. */
    static final Duration DEFAULT_MAX_DOWNTIME = Duration.ofMillis(300);
    static final long POLL_MS = 500;
    private static final Pattern TLS_FAILURE = Pattern.compile("tls|x509|certificate|credentials|handshake|gnutls",
        Pattern.CASE_INSENSITIVE);
    private static final Pattern HOST_UUID = Pattern.compile("<host>\\s*<uuid>([0-9a-fA-F-]{36})</uuid>");

    private final String backend;
    private final LibvirtConnection conn;
    private final Map<String, Running> running = new ConcurrentHashMap<>();

    MigrationRunner(String backend, LibvirtConnection conn) {
        this.backend = backend;
        this.conn = conn;
    }

    /** One migration in flight: what the watcher and an abort request act on. */
    private static final class Running {
        final Domain domain;
        volatile boolean abortRequested;
        volatile boolean timedOut;
        volatile boolean suspendedByUs;
        volatile boolean postCopyStarted;

        Running(Domain domain) {
            this.domain = domain;
        }
    }

    boolean abort(String vmId) {
        Domains.checkId(vmId);
        Running r = running.get(vmId);
        if (r == null) return false;
        r.abortRequested = true;
        try {
            r.domain.abortJob();
        } catch (LibvirtException e) {
            // the job may be finishing right now; the migrate call reports how it ended
            LOG.log(Level.INFO, "abort of the migration of VM " + vmId + ": " + e.getMessage());
        }
        return true;
    }

    MigrationResult migrate(String vmId, String targetUri, MigrationOptions options, ProgressListener progress) {
        Domains.checkId(vmId);
        MigrationOptions o = options == null ? MigrationOptions.liveDefaults() : options;
        URI target = checkTarget(targetUri);
        ProgressListener p = progress == null ? ProgressListener.NONE : progress;
        if (o.postCopy() && !o.live())
            throw new InvalidArgumentException("postCopy", "needs a live migration (live=true)");
        return conn.call("migrate VM " + vmId + " to " + targetUri, c -> {
            Domain d = Domains.lookup(c, vmId);
            boolean active = d.isActive() == 1;
            VmState state = Domains.status(d).state();
            if (o.live() && !active)
                throw new ConflictException("VM " + vmId + " is not running (" + state + "): a live migration needs a running"
                    + " VM; migrate with live=false to move its definition");
            if (!active && o.copyStorage())
                throw new UnsupportedFeatureException(Feature.STORAGE_MIGRATION, "copyStorage: VM " + vmId + " is not running;"
                    + " an offline migration moves only the definition, so its disks cannot be copied");
            p.progress(OperationProgress.phase("migrate", "checking-destination", 0, targetUri));
            Connect dest = openDestination(targetUri, target);
            try {
                checkNotSelf(c, dest, targetUri);
                checkNotThere(dest, vmId, targetUri);
                return run(c, d, dest, vmId, targetUri, o, p, active);
            } finally {
                try {
                    dest.close();
                } catch (LibvirtException e) {
                    LOG.log(Level.FINE, "closing the destination connection", e);
                }
            }
        });
    }

    private MigrationResult run(Connect c, Domain d, Connect dest, String vmId, String targetUri, MigrationOptions o,
                                ProgressListener p, boolean active) throws LibvirtException {
        long started = System.nanoTime();
        Running r = new Running(d);
        if (running.putIfAbsent(vmId, r) != null) throw new ConflictException("VM " + vmId + " is already migrating");
        try (MigrationTargetDisks disks = new MigrationTargetDisks(dest)) {
            if (o.copyStorage()) {
                List<MigrationTargetDisks.LocalDisk> local = MigrationTargetDisks.localDisks(d);
                p.progress(OperationProgress.phase("migrate", "preparing-storage", 0, local.size() + " disk(s) on " + targetUri));
                try {
                    disks.prepare(local);
                } catch (LibvirtException | RuntimeException e) {
                    disks.rollback();
                    throw e;
                }
            }
            if (active) d.migrateSetMaxDowntime(Math.max(1, (o.maxDowntime() == null ? DEFAULT_MAX_DOWNTIME : o.maxDowntime()).toMillis()));
            ScheduledExecutorService watch = Executors.newSingleThreadScheduledExecutor(t -> {
                Thread th = new Thread(t, "lq-libvirt-" + backend + "-migration-" + vmId.substring(0, 8));
                th.setDaemon(true);
                return th;
            });
            try {
                if (active) {
                    watch.scheduleWithFixedDelay(() -> poll(r, o, targetUri, p), POLL_MS, POLL_MS, TimeUnit.MILLISECONDS);
                    if (o.completionTimeout() != null)
                        watch.schedule(() -> onTimeout(r, o, vmId), o.completionTimeout().toMillis(), TimeUnit.MILLISECONDS);
                }
                p.progress(OperationProgress.phase("migrate", active ? "starting" : "moving-definition", 0, targetUri));
                long flags = flags(o, active);
                if (r.abortRequested) {
                    // asked to stop while the destination was being prepared: nothing has moved yet
                    disks.rollback();
                    throw new ConflictException("migration of VM " + vmId + " to " + targetUri
                        + " was aborted on request before it started; the VM keeps running on this host");
                }
                try {
                    if (o.peerToPeer()) d.migrateToURI(targetUri, flags, null, o.bandwidthMiBps());
                    else d.migrate(dest, flags, null, null, o.bandwidthMiBps());
                } catch (LibvirtException e) {
                    watch.shutdownNow();
                    disks.rollback();
                    throw failed(c, d, dest, vmId, targetUri, o, r, e);
                }
            } finally {
                watch.shutdownNow();
            }
        } finally {
            running.remove(vmId);
        }
        Duration total = Duration.ofNanos(System.nanoTime() - started);
        MigrationJob done = completed(dest, vmId);
        Duration downtime = done == null ? null : done.downtime();
        long bytes = done == null ? -1 : done.get("data_processed");
        MigrationStats stats = done == null ? null : done.stats(false);
        p.progress(new OperationProgress("migrate", "done", 1, done == null ? -1 : done.get("data_total"), bytes, 0,
            "on " + targetUri + " after " + total.toMillis() + " ms" + (downtime == null ? "" : ", downtime " + downtime.toMillis() + " ms"),
            stats));
        LOG.info(() -> "backend " + backend + ": VM " + vmId + " migrated to " + targetUri + " in " + total.toMillis() + " ms"
            + (downtime == null ? "" : ", downtime " + downtime.toMillis() + " ms"));
        return new MigrationResult(vmId, targetUri, total, downtime, bytes);
    }

    /** The destination's statistics of the incoming migration it has just completed (null when not reported). */
    private static MigrationJob completed(Connect dest, String vmId) {
        try {
            MigrationJob j = MigrationJob.read(dest.domainLookupByUUIDString(vmId), true);
            return j.type() == MigrationJob.COMPLETED ? j : null;
        } catch (LibvirtException | RuntimeException e) {
            LOG.log(Level.FINE, "completed migration statistics", e);
            return null;
        }
    }

    private void poll(Running r, MigrationOptions o, String targetUri, ProgressListener p) {
        try {
            MigrationJob j = MigrationJob.read(r.domain, false);
            if (!j.active()) return;
            // post-copy is started once the first full pass is done (the guest then runs on the destination)
            if (o.postCopy() && !r.postCopyStarted && !r.abortRequested && j.get("memory_iteration") >= 2) startPostCopy(r);
            p.progress(j.progress(targetUri, r.postCopyStarted));
        } catch (LibvirtException | RuntimeException e) {
            LOG.log(Level.FINE, "migration progress", e);
        }
    }

    private static void startPostCopy(Running r) {
        String why = MigrationNative.startPostCopy(r.domain);
        if (why == null) r.postCopyStarted = true;
        else LOG.warning("switching the migration to post-copy failed: " + why);
    }

    /** ABORT cancels the job (the VM stays here); FORCE_COMPLETE switches to post-copy or pauses the guest. */
    private void onTimeout(Running r, MigrationOptions o, String vmId) {
        r.timedOut = true;
        try {
            if (o.onTimeout() == MigrationOptions.TimeoutPolicy.ABORT) {
                LOG.warning("migration of VM " + vmId + " did not complete within " + o.completionTimeout() + ": aborting it");
                r.domain.abortJob();
            } else if (o.postCopy() && !r.postCopyStarted) {
                LOG.warning("migration of VM " + vmId + " did not complete within " + o.completionTimeout() + ": switching to post-copy");
                startPostCopy(r);
                if (!r.postCopyStarted) suspend(r);
            } else if (!r.postCopyStarted) {
                LOG.warning("migration of VM " + vmId + " did not complete within " + o.completionTimeout()
                    + ": pausing the guest so the last pass completes (it resumes on the destination)");
                suspend(r);
            }
        } catch (LibvirtException | RuntimeException e) {
            LOG.log(Level.WARNING, "migration timeout action " + o.onTimeout() + " failed", e);
        }
    }

    private static void suspend(Running r) throws LibvirtException {
        r.domain.suspend();
        r.suspendedByUs = true;
    }

    /**
     * Makes sure a failed migration leaves the VM here and nothing there, then says why it failed. The error
     * names what happened: aborted on request, timed out, post-copy refused, or libvirt's words.
     */
    private HypervisorException failed(Connect c, Domain d, Connect dest, String vmId, String targetUri, MigrationOptions o,
                                       Running r, LibvirtException e) {
        String words = e.getError() == null || e.getError().getMessage() == null ? String.valueOf(e.getMessage()) : e.getError().getMessage();
        String where = cleanUp(c, d, dest, vmId, r);
        String prefix = "migration of VM " + vmId + " to " + targetUri;
        if (r.abortRequested) return new ConflictException(prefix + " was aborted on request; " + where);
        if (r.timedOut && o.onTimeout() == MigrationOptions.TimeoutPolicy.ABORT)
            return new BackendFailureException(prefix + " did not complete within " + o.completionTimeout() + " and was aborted; " + where, e);
        if (o.postCopy() && words.toLowerCase(Locale.ROOT).contains("postcopy"))
            return new UnsupportedFeatureException(Feature.POST_COPY_MIGRATION, "postCopy: the hypervisor refuses post-copy here ("
                + words + "; QEMU needs userfaultfd for it); " + where);
        if (o.tls() && isTlsFailure(words))
            return new ConflictException("tls: " + prefix + " failed: the TLS of the migration stream could not be set up ("
                + words + "); each host needs, in the directory its qemu.conf names in migrate_tls_x509_cert_dir, ca-cert.pem,"
                + " server-cert.pem, server-key.pem, client-cert.pem and client-key.pem, certificates from a CA the other host"
                + " trusts that name the host's migration address; " + where);
        if (ErrorMapping.isConnectionError(e) && isAlive(c))
            return new BackendFailureException(prefix + " failed: " + words + "; " + where, e);
        HypervisorException mapped = ErrorMapping.map(backend, prefix, e);
        return rewrap(mapped, where);
    }

    /**
     * Whether libvirt's or QEMU's words say that the migration stream's TLS failed: missing or unreadable
     * credentials on either end ("Unable to access credentials …/ca-cert.pem"), a peer certificate that is not
     * trusted or does not name the host ("The certificate hasn't got a known issuer"), a failed handshake, or
     * no TLS directory configured.
     */
    static boolean isTlsFailure(String words) {
        return words != null && TLS_FAILURE.matcher(words).find();
    }

    private static HypervisorException rewrap(HypervisorException m, String where) {
        String msg = m.getMessage() + "; " + where;
        if (m instanceof ConflictException) return new ConflictException(msg);
        if (m instanceof UnsupportedFeatureException) return new UnsupportedFeatureException(null, msg);
        if (m instanceof BackendUnavailableException) return new BackendUnavailableException(msg, m);
        return new BackendFailureException(msg, m);
    }

    private static boolean isAlive(Connect c) {
        try {
            return c.isAlive();
        } catch (LibvirtException e) {
            return false;
        }
    }

    /** Returns where the VM is now, in words, after resuming it here and removing a leftover there. */
    private static String cleanUp(Connect c, Domain d, Connect dest, String vmId, Running r) {
        boolean here;
        try {
            Domain src = c.domainLookupByUUIDString(vmId);
            here = true;
            if (r.suspendedByUs && src.isActive() == 1) src.resume();
        } catch (LibvirtException ex) {
            here = false;
        }
        try {
            Domain left = dest.domainLookupByUUIDString(vmId);
            if (here && left.isActive() != 1) {
                left.undefine();
                LOG.warning("removed the definition of VM " + vmId + " that the failed migration left on the destination");
            } else if (left.isActive() == 1) {
                return "the VM runs on the destination (the migration completed there despite the error)";
            }
        } catch (LibvirtException ex) {
            // not there: as it should be
        }
        return here ? "the VM keeps running on this host" : "the VM is no longer on this host; check the destination";
    }

    /** The VM as the destination host reports it (for settling an interrupted migration). */
    VmStatus statusAt(String targetUri, String vmId) {
        Domains.checkId(vmId);
        URI target = checkTarget(targetUri);
        Connect dest = openDestination(targetUri, target);
        try {
            return Domains.status(Domains.lookup(dest, vmId));
        } catch (LibvirtException e) {
            throw ErrorMapping.map(backend, "status of VM " + vmId + " at " + targetUri, e);
        } finally {
            try {
                dest.close();
            } catch (LibvirtException e) {
                LOG.log(Level.FINE, "closing the destination connection", e);
            }
        }
    }

    static long flags(MigrationOptions o, boolean active) {
        long f = Domain.MigrateFlags.PERSIST_DEST | Domain.MigrateFlags.UNDEFINE_SOURCE;
        if (o.peerToPeer()) f |= Domain.MigrateFlags.PEER2PEER;
        if (!active) return f | Domain.MigrateFlags.OFFLINE;
        f |= Domain.MigrateFlags.ABORT_ON_ERROR;
        if (o.live()) f |= Domain.MigrateFlags.LIVE;
        if (o.autoConverge()) f |= Domain.MigrateFlags.AUTO_CONVERGE;
        if (o.postCopy()) f |= Domain.MigrateFlags.POSTCOPY;
        if (o.tls()) f |= Domain.MigrateFlags.TLS;
        if (o.copyStorage()) f |= Domain.MigrateFlags.NON_SHARED_DISK;
        return f;
    }

    /** A libvirt URI of a remote host: transport and host are required; a host that does not resolve is refused. */
    static URI checkTarget(String targetUri) {
        if (targetUri == null || targetUri.isBlank()) throw new InvalidArgumentException("targetUri", "is required");
        URI u;
        try {
            u = new URI(targetUri);
        } catch (URISyntaxException e) {
            throw new InvalidArgumentException("targetUri", "is not a URI: " + e.getReason());
        }
        if (u.getScheme() == null || u.getHost() == null || u.getHost().isEmpty())
            throw new InvalidArgumentException("targetUri", "must be a libvirt URI of another host, like qemu+tcp://host/system");
        if (!u.getScheme().matches("qemu(\\+(tcp|tls|ssh|libssh|libssh2))?"))
            throw new InvalidArgumentException("targetUri", "scheme " + u.getScheme() + " is not a QEMU driver URI (qemu+tcp, qemu+tls, qemu+ssh)");
        try {
            InetAddress.getByName(u.getHost());
        } catch (UnknownHostException e) {
            throw new InvalidArgumentException("targetUri", "host " + u.getHost() + " is unknown (it does not resolve)");
        }
        return u;
    }

    private static Connect openDestination(String targetUri, URI target) {
        try {
            return new Connect(targetUri, false);
        } catch (LibvirtException e) {
            String words = e.getError() == null ? String.valueOf(e.getMessage()) : e.getError().getMessage();
            throw new BackendUnavailableException("targetUri: the destination " + target.getHost() + " cannot be reached: " + words
                + "; the VM was not touched", e);
        }
    }

    /** Migrating to this host would fail late inside libvirt; say so early, by host UUID. */
    private static void checkNotSelf(Connect c, Connect dest, String targetUri) throws LibvirtException {
        String here = hostUuid(c.getCapabilities());
        String there = hostUuid(dest.getCapabilities());
        if (here != null && here.equalsIgnoreCase(there))
            throw new InvalidArgumentException("targetUri", targetUri + " is this host itself (host UUID " + here + ")");
    }

    static String hostUuid(String capabilities) {
        Matcher m = HOST_UUID.matcher(capabilities == null ? "" : capabilities);
        return m.find() ? m.group(1) : null;
    }

    private static void checkNotThere(Connect dest, String vmId, String targetUri) {
        try {
            Domain there = dest.domainLookupByUUIDString(vmId);
            throw new ConflictException("targetUri: " + targetUri + " already has a domain with the id of VM " + vmId + " ("
                + there.getName() + "); the VM was not touched");
        } catch (LibvirtException notThere) {
            // expected
        }
    }
}
