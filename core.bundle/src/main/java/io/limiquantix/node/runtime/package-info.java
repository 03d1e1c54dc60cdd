/** The node's facade: what every front end (gRPC, JSON, Gogo, Web Console) calls. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.limiquantix.node.runtime;
