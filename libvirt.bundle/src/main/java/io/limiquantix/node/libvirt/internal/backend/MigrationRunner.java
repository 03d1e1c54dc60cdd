package io.limiquantix.node.libvirt.internal.backend;

import io.limiquantix.node.api.BackendFailureException;
import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.MigrationOptions;
import io.limiquantix.node.api.MigrationResult;
import io.limiquantix.node.api.OperationProgress;
import io.limiquantix.node.api.ProgressListener;
import io.limiquantix.node.api.UnsupportedFeatureException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.libvirt.Domain;
import org.libvirt.DomainJobInfo;
import org.libvirt.LibvirtException;

/**
 * A first, honest live migration: peer-to-peer through {@code virDomainMigrateToURI}, with the options
 * that map directly onto libvirt flags and parameters. The VM is persisted on the destination and
 * undefined here once it runs there. Post-copy and non-peer-to-peer migration are refused, not faked.
 */
final class MigrationRunner {
    private static final Logger LOG = Logger.getLogger(MigrationRunner.class.getName());

    private final String backend;
    private final LibvirtConnection conn;

    MigrationRunner(String backend, LibvirtConnection conn) {
        this.backend = backend;
        this.conn = conn;
    }

    MigrationResult migrate(String vmId, String targetUri, MigrationOptions options, ProgressListener progress) {
        Domains.checkId(vmId);
        MigrationOptions o = options == null ? MigrationOptions.liveDefaults() : options;
        checkTarget(targetUri);
        if (o.postCopy()) throw new UnsupportedFeatureException(Feature.POST_COPY_MIGRATION, "postCopy: not implemented by this backend yet");
        if (!o.peerToPeer())
            throw new UnsupportedFeatureException(Feature.LIVE_MIGRATION, "peerToPeer: only peer-to-peer migration is implemented");
        ProgressListener p = progress == null ? ProgressListener.NONE : progress;
        return conn.call("migrate VM " + vmId + " to " + targetUri, c -> {
            Domain d = Domains.lookup(c, vmId);
            if (d.isActive() != 1) throw new ConflictException("VM " + vmId + " is not running; only running VMs migrate here");
            if (o.maxDowntime() != null) d.migrateSetMaxDowntime(Math.max(1, o.maxDowntime().toMillis()));
            return run(d, vmId, targetUri, o, p);
        });
    }

    private MigrationResult run(Domain d, String vmId, String targetUri, MigrationOptions o, ProgressListener p) throws LibvirtException {
        ScheduledExecutorService watch = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lq-libvirt-" + backend + "-migration-" + vmId);
            t.setDaemon(true);
            return t;
        });
        AtomicLong bytes = new AtomicLong();
        AtomicBoolean timedOut = new AtomicBoolean();
        long started = System.nanoTime();
        try {
            watch.scheduleWithFixedDelay(() -> report(d, p, bytes), 1, 1, TimeUnit.SECONDS);
            if (o.completionTimeout() != null)
                watch.schedule(() -> onTimeout(d, o, timedOut), o.completionTimeout().toMillis(), TimeUnit.MILLISECONDS);
            p.progress(OperationProgress.phase("migrate", "starting", 0, targetUri));
            try {
                // virDomainMigrateToURI: with PEER2PEER the URI is the destination libvirtd. (The typed-parameter
                // variant of libvirt-java 0.5.4 fails on an empty parameter list inside JNA.)
                d.migrateToURI(targetUri, flags(o), null, o.bandwidthMiBps());
            } catch (LibvirtException e) {
                if (timedOut.get() && o.onTimeout() == MigrationOptions.TimeoutPolicy.ABORT)
                    throw new BackendFailureException("migration of VM " + vmId + " did not complete within " + o.completionTimeout()
                        + " and was aborted; the VM keeps running on this host", e);
                throw e;
            }
            p.progress(OperationProgress.phase("migrate", "done", 1, targetUri));
            return new MigrationResult(vmId, targetUri, Duration.ofNanos(System.nanoTime() - started), null, bytes.get());
        } finally {
            watch.shutdownNow();
        }
    }

    private static void report(Domain d, ProgressListener p, AtomicLong bytes) {
        try {
            DomainJobInfo job = d.getJobInfo();
            bytes.set(job.getDataProcessed());
            double fraction = job.getDataTotal() > 0 ? (double) job.getDataProcessed() / job.getDataTotal() : -1;
            p.progress(new OperationProgress("migrate", "transferring", Math.min(1, fraction), job.getDataTotal(),
                job.getDataProcessed(), job.getDataRemaining(), ""));
        } catch (LibvirtException | RuntimeException e) {
            LOG.log(Level.FINE, "migration progress", e);
        }
    }

    /** ABORT cancels the job (the VM stays here); FORCE_COMPLETE pauses the guest so the last copy converges. */
    private static void onTimeout(Domain d, MigrationOptions o, AtomicBoolean timedOut) {
        timedOut.set(true);
        try {
            if (o.onTimeout() == MigrationOptions.TimeoutPolicy.ABORT) d.abortJob();
            else d.suspend();
        } catch (LibvirtException | RuntimeException e) {
            LOG.log(Level.WARNING, "migration timeout action " + o.onTimeout() + " failed", e);
        }
    }

    static int flags(MigrationOptions o) {
        int f = Domain.MigrateFlags.PEER2PEER | Domain.MigrateFlags.PERSIST_DEST | Domain.MigrateFlags.UNDEFINE_SOURCE
            | Domain.MigrateFlags.ABORT_ON_ERROR;
        if (o.live()) f |= Domain.MigrateFlags.LIVE;
        if (o.autoConverge()) f |= Domain.MigrateFlags.AUTO_CONVERGE;
        if (o.tls()) f |= Domain.MigrateFlags.TLS;
        if (o.copyStorage()) f |= Domain.MigrateFlags.NON_SHARED_DISK;
        return f;
    }

    private static void checkTarget(String targetUri) {
        if (targetUri == null || targetUri.isBlank()) throw new InvalidArgumentException("targetUri", "is required");
        try {
            URI u = new URI(targetUri);
            if (u.getScheme() == null || u.getHost() == null)
                throw new InvalidArgumentException("targetUri", "must be a libvirt URI of another host, like qemu+tcp://host/system");
        } catch (URISyntaxException e) {
            throw new InvalidArgumentException("targetUri", "is not a URI: " + e.getReason());
        }
    }
}
