package io.limiquantix.node.itest;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.io.File;
import org.ops4j.pax.exam.Option;

/**
 * The node as the tests run it: the real bundles, provisioned from the jars Maven built (target/bundles),
 * in a Felix framework started by Pax Exam's native container in the test JVM.
 */
final class NodeOptions {
    static final String BUNDLES = System.getProperty("lq.bundles", "target/bundles");
    static final String WORK = System.getProperty("lq.work", "target/work");

    private NodeOptions() {}

    static Option jar(String name) {
        File f = new File(BUNDLES, name + ".jar");
        if (!f.isFile()) throw new IllegalStateException("bundle under test missing: " + f.getAbsolutePath());
        return bundle(f.toURI().toString());
    }

    /** Felix with ConfigAdmin, Dependency Manager, Jackson, JNA and the node's API, core, libvirt and gpu-vfio bundles. */
    static Option node(String dataDir, String... extraProperties) {
        Option[] props = new Option[extraProperties.length / 2];
        for (int i = 0; i + 1 < extraProperties.length; i += 2)
            props[i / 2] = frameworkProperty(extraProperties[i]).value(extraProperties[i + 1]);
        return composite(
            junitBundles(),
            frameworkProperty("limiquantix.data").value(new File(WORK, dataDir).getAbsolutePath()),
            systemProperty("org.ops4j.pax.url.mvn.localRepository").value(System.getProperty("org.ops4j.pax.url.mvn.localRepository", "")),
            composite(props),
            jar("org.apache.felix.log"),
            jar("org.apache.felix.configadmin"),
            jar("org.apache.felix.metatype"),
            jar("org.apache.felix.dependencymanager"),
            jar("org.apache.felix.gogo.runtime"),
            jar("jackson-annotations"),
            jar("jackson-core"),
            jar("jackson-databind"),
            jar("jna"),
            jar("api.bundle"),
            jar("core.bundle"),
            jar("libvirt.bundle"),
            jar("gpu-vfio.bundle"));
    }
}
