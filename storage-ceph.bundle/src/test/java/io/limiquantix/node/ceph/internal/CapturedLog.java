package io.limiquantix.node.ceph.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/** Collects everything the bundle logs (System.Logger goes to java.util.logging outside OSGi), formatted. */
final class CapturedLog extends Handler {
    private final List<String> lines = new ArrayList<>();
    private final SimpleFormatter formatter = new SimpleFormatter();

    static CapturedLog install() {
        CapturedLog log = new CapturedLog();
        Logger.getLogger("").addHandler(log);
        return log;
    }

    void uninstall() {
        Logger.getLogger("").removeHandler(this);
    }

    @Override
    public synchronized void publish(LogRecord record) {
        String line = formatter.format(record);
        lines.add(line);
    }

    synchronized String text() {
        return String.join("\n", lines);
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
}
