/** Device extension point: host device providers (GPU passthrough, mediated devices). */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.limiquantix.node.api.device;
