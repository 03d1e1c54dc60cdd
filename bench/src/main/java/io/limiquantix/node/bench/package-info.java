/** The node's benchmarks; run them with {@code bench/run} (see bench/README.md). */
package io.limiquantix.node.bench;
