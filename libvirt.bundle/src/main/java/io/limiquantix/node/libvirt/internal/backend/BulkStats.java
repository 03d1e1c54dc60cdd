package io.limiquantix.node.libvirt.internal.backend;

import static io.limiquantix.node.libvirt.internal.backend.DomainStatsNative.*;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.VmStatus;
import io.limiquantix.node.api.VmStats;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.libvirt.Connect;
import org.libvirt.DomainInfo;
import org.libvirt.LibvirtException;

/**
 * One statistics sweep over every domain of a connection with a single {@code virConnectGetAllDomainStats}
 * call: state, CPU time, vCPUs, balloon, block and interface counters. The records libvirt returns are read
 * into plain maps (field name → Integer/Long/Double/Boolean/String as the parameter's type says) and freed
 * before anything else happens; {@link #toVmStats} turns one map into the API's {@link VmStats}.
 */
public final class BulkStats {
    static final int STATS = STATS_STATE | STATS_CPU_TOTAL | STATS_BALLOON | STATS_VCPU | STATS_INTERFACE | STATS_BLOCK;

    /** One domain's record as read from libvirt. */
    record Record(String uuid, String name, Map<String, Object> params) {
    }

    private BulkStats() {}

    /** Releases the direct-mapped natives (bundle stop), so this revision's classes can be collected. */
    public static void unbind() {
        DomainStatsNative.unbind();
    }

    static List<VmStats> sweep(Connect c) throws LibvirtException {
        List<VmStats> out = new ArrayList<>();
        for (Record r : read(c, STATS, FLAG_NOWAIT)) out.add(toVmStats(r));
        return out;
    }

    /** What a listing asks for: the state and, where the driver reports them, vCPUs, maximum memory and CPU time. */
    static final int LISTING = STATS_STATE | STATS_VCPU | STATS_BALLOON | STATS_CPU_TOTAL;

    /**
     * Every domain's {@link VmStatus} from one {@code virConnectGetAllDomainStats} call (one round trip to libvirtd
     * instead of three calls per domain). A figure the driver does not report is 0 (libvirt's test driver reports
     * only the state).
     */
    static List<VmStatus> statuses(Connect c) throws LibvirtException {
        List<Record> records = read(c, LISTING, FLAG_NOWAIT);
        List<VmStatus> out = new ArrayList<>(records.size());
        for (Record r : records) if (r.uuid() != null && r.name() != null) out.add(toVmStatus(r));
        return out;
    }

    /** One record as a {@link VmStatus} (pure: no libvirt). */
    static VmStatus toVmStatus(Record r) {
        Map<String, Object> p = r.params();
        VmState state = state((int) num(p, "state.state", -1));
        long maxKiB = num(p, "balloon.maximum", 0);
        return new VmStatus(r.uuid(), r.name(), state, "", (int) num(p, "vcpu.current", 0), maxKiB / 1024,
            state.isActive() || state == VmState.CRASHED ? num(p, "cpu.time", 0) : 0);
    }

    /** The raw records, freed before returning. */
    static List<Record> read(Connect c, int stats, int flags) throws LibvirtException {
        bind();
        PointerByReference ret = new PointerByReference();
        int n = Direct.virConnectGetAllDomainStats(pointer(c), stats, ret, flags);
        if (n < 0) throwLastError();
        Pointer list = ret.getValue();
        if (list == null) return List.of();
        try {
            List<Record> out = new ArrayList<>(n);
            byte[] uuid = new byte[UUID_BUFLEN];
            Pointer[] records = list.getPointerArray(0, n);
            for (Pointer rec : records) {
                if (rec == null) break; // the list is NULL-terminated as well as counted
                Pointer dom = rec.getPointer(RECORD_DOM_OFFSET);
                // The name is read from libvirt's memory here (JNA's default encoding, as a String-returning
                // mapping would): that mapping's conversion inside the native call cost ~0.6 of ~0.75 µs a record.
                Pointer namePtr = Direct.virDomainGetName(dom);
                String name = namePtr == null ? null : namePtr.getString(0);
                String id = Direct.virDomainGetUUID(dom, uuid) == 0 ? uuid(uuid) : null;
                out.add(new Record(id, name, params(rec.getPointer(RECORD_PARAMS_OFFSET), rec.getInt(RECORD_NPARAMS_OFFSET))));
            }
            return out;
        } finally {
            Direct.virDomainStatsRecordListFree(list);
        }
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /** The lower-case 8-4-4-4-12 form of 16 raw UUID bytes. */
    static String uuid(byte[] b) {
        char[] out = new char[36];
        int o = 0;
        for (int i = 0; i < 16; i++) {
            if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
            out[o++] = HEX[(b[i] >> 4) & 0xF];
            out[o++] = HEX[b[i] & 0xF];
        }
        return new String(out);
    }

    /**
     * Reads a virTypedParameter array, copied out of native memory in one piece and decoded here (native byte
     * order); only string values need another native read. Parameters of a type this code does not know are
     * skipped.
     */
    static Map<String, Object> params(Pointer params, int n) {
        Map<String, Object> out = new HashMap<>(Math.max(16, n * 2));
        if (params == null || n <= 0) return out;
        ByteBuffer b = ByteBuffer.wrap(params.getByteArray(0, n * PARAM_SIZE)).order(ByteOrder.nativeOrder());
        byte[] raw = b.array();
        for (int i = 0; i < n; i++) {
            int base = i * PARAM_SIZE;
            int len = 0;
            while (len < PARAM_FIELD_LENGTH && raw[base + len] != 0) len++;
            String field = new String(raw, base, len, StandardCharsets.US_ASCII);
            int v = base + PARAM_VALUE_OFFSET;
            Object value = switch (b.getInt(base + PARAM_TYPE_OFFSET)) {
                case PARAM_INT -> b.getInt(v);
                case PARAM_UINT -> Integer.toUnsignedLong(b.getInt(v));
                case PARAM_LLONG, PARAM_ULLONG -> b.getLong(v); // unsigned above 2^63: never for these counters
                case PARAM_DOUBLE -> b.getDouble(v);
                case PARAM_BOOLEAN -> raw[v] != 0;
                case PARAM_STRING -> {
                    long address = com.sun.jna.Native.POINTER_SIZE == 8 ? b.getLong(v) : b.getInt(v);
                    yield address == 0 ? null : new Pointer(address).getString(0, "UTF-8");
                }
                default -> null;
            };
            if (value != null) out.put(field, value);
        }
        return out;
    }

    /** One record in the API's terms (pure: no libvirt). */
    static VmStats toVmStats(Record r) {
        Map<String, Object> p = r.params();
        VmState state = state((int) num(p, "state.state", 0));
        long cpu = num(p, "cpu.time", 0);
        VmStats.Memory memory = new VmStats.Memory(num(p, "balloon.current", VmStats.ABSENT), num(p, "balloon.maximum", VmStats.ABSENT),
            num(p, "balloon.rss", VmStats.ABSENT), num(p, "balloon.available", VmStats.ABSENT), num(p, "balloon.unused", VmStats.ABSENT));
        List<VmStats.Disk> disks = new ArrayList<>();
        long blocks = num(p, "block.count", 0);
        for (int i = 0; i < blocks; i++) {
            String pre = "block." + i + ".";
            Object name = p.get(pre + "name");
            if (name == null) continue;
            Object path = p.get(pre + "path");
            disks.add(new VmStats.Disk(name.toString(), path == null ? null : path.toString(), num(p, pre + "rd.bytes", VmStats.ABSENT),
                num(p, pre + "wr.bytes", VmStats.ABSENT), num(p, pre + "rd.reqs", VmStats.ABSENT), num(p, pre + "wr.reqs", VmStats.ABSENT)));
        }
        List<VmStats.Nic> nics = new ArrayList<>();
        long nets = num(p, "net.count", 0);
        for (int i = 0; i < nets; i++) {
            String pre = "net." + i + ".";
            Object name = p.get(pre + "name");
            if (name == null) continue;
            nics.add(new VmStats.Nic(name.toString(), num(p, pre + "rx.bytes", VmStats.ABSENT), num(p, pre + "tx.bytes", VmStats.ABSENT),
                num(p, pre + "rx.pkts", VmStats.ABSENT), num(p, pre + "tx.pkts", VmStats.ABSENT)));
        }
        String id = r.uuid() == null ? "" : r.uuid();
        return new VmStats(id, r.name() == null ? "" : r.name(), state, num(p, "vcpu.current", VmStats.ABSENT),
            state.isActive() || state == VmState.CRASHED ? cpu : 0, memory, disks, nics);
    }

    static VmState state(int libvirtState) {
        DomainInfo.DomainState[] all = DomainInfo.DomainState.values();
        return libvirtState >= 0 && libvirtState < all.length ? Domains.state(all[libvirtState]) : VmState.UNKNOWN;
    }

    private static long num(Map<String, Object> p, String key, long absent) {
        Object v = p.get(key);
        if (v instanceof Number n) return n.longValue();
        if (v instanceof Boolean b) return b ? 1 : 0;
        return absent;
    }
}
