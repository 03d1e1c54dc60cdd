package io.limiquantix.node.core.internal;

import io.limiquantix.node.runtime.PlacementDecision;
import java.util.ArrayDeque;
import java.util.List;

/** The last placement decisions of VM creations, newest first; enough to answer "why did it go there". */
final class RecentDecisions {
    static final int KEEP = 100;
    private final ArrayDeque<PlacementDecision> decisions = new ArrayDeque<>();

    synchronized void add(PlacementDecision d) {
        decisions.addFirst(d);
        while (decisions.size() > KEEP) decisions.removeLast();
    }

    synchronized List<PlacementDecision> newestFirst() {
        return List.copyOf(decisions);
    }
}
