package io.limiquantix.node.libvirt.internal.backend;

import io.limiquantix.node.api.MigrationStats;
import io.limiquantix.node.api.OperationProgress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.libvirt.Domain;
import org.libvirt.DomainJobStats;
import org.libvirt.LibvirtException;
import org.libvirt.TypedParameter;

/**
 * One reading of a domain's migration job ({@code virDomainGetJobStats}) in the API's terms. The field names
 * are libvirt's {@code VIR_DOMAIN_JOB_*} typed-parameter names.
 */
record MigrationJob(int type, Map<String, String> fields) {
    /** virDomainJobType */
    static final int NONE = 0, BOUNDED = 1, UNBOUNDED = 2, COMPLETED = 3, FAILED = 4, CANCELLED = 5;
    /** VIR_DOMAIN_JOB_STATS_COMPLETED: the statistics of the job that has just finished. */
    static final int STATS_COMPLETED = 1;

    static MigrationJob read(Domain d, boolean completed) throws LibvirtException {
        DomainJobStats s = d.getJobStats(completed ? STATS_COMPLETED : 0);
        Map<String, String> f = new HashMap<>();
        if (s.stats != null) for (TypedParameter p : s.stats) if (p != null && p.field != null) f.put(p.field, p.getValueAsString());
        return new MigrationJob(s.type, f);
    }

    boolean active() {
        return type == BOUNDED || type == UNBOUNDED;
    }

    long get(String field) {
        String v = fields.get(field);
        if (v == null) return -1;
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            try {
                return (long) Double.parseDouble(v.trim());
            } catch (NumberFormatException e2) {
                return -1;
            }
        }
    }

    /** The switch-over pause, once libvirt reports it (completed jobs). */
    Duration downtime() {
        long ms = get("downtime");
        return ms < 0 ? null : Duration.ofMillis(ms);
    }

    MigrationStats stats(boolean postCopy) {
        long throttle = get("auto_converge_throttle");
        return new MigrationStats(get("memory_iteration"), get("memory_dirty_rate"), get("memory_page_size"), get("memory_bps"),
            get("disk_total"), get("disk_processed"), get("disk_remaining"), (int) Math.max(0, throttle), postCopy, downtime());
    }

    /** The phase a client sees: storage first (when copied), then memory passes, then the switch-over. */
    String phase(boolean postCopy) {
        if (postCopy) return "post-copy";
        long diskRemaining = get("disk_remaining");
        long iteration = get("memory_iteration");
        if (diskRemaining > 0 && iteration <= 0) return "copying-storage";
        if (iteration <= 0 && get("memory_processed") <= 0) return "setting-up";
        if (iteration <= 1) return "copying-memory";
        return "copying-dirty-memory";
    }

    OperationProgress progress(String target, boolean postCopy) {
        long total = get("data_total"), processed = get("data_processed"), remaining = get("data_remaining");
        double fraction = total > 0 && remaining >= 0 ? Math.max(0, Math.min(0.99, 1 - (double) remaining / total)) : -1;
        String phase = phase(postCopy);
        long iteration = get("memory_iteration");
        return new OperationProgress("migrate", phase, fraction, total, processed, remaining,
            "to " + target + (iteration > 0 ? ", pass " + iteration : ""), stats(postCopy));
    }
}
