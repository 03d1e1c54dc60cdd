package io.limiquantix.node.libvirt.internal.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.BootSource;
import io.limiquantix.node.api.DiskSpec;
import io.limiquantix.node.api.GraphicsSpec;
import io.limiquantix.node.api.HostileInput;
import io.limiquantix.node.api.HypervisorException;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.NicSpec;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.api.storage.DiskSource;
import io.limiquantix.node.libvirt.internal.domain.XmlDoc;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * Hostile specs all the way into libvirt (issue #10), on the real backend over libvirt's test driver
 * ({@code test:///default}, in-process): a spec the API refuses never reaches the backend and no domain appears;
 * a spec it accepts — with shell syntax, confusable and accented letters, every allowed punctuation in names,
 * paths, command lines and label values — is defined, and libvirt's own XML of it parses (no DTD, no entities)
 * and carries each value only as text or attribute value: the same numbers of disks, NICs, graphics and
 * metadata labels as the spec, the name and the kernel command line verbatim. The domain count is compared
 * before and after every try.
 */
class HostileSpecDefineTest {
    private static LibvirtHypervisor hv;

    @BeforeContainer
    static void connect() {
        hv = LibvirtTestSupport.connected("test", "test:///default", AccelDecision.Requested.AUTO);
    }

    @AfterContainer
    static void close() {
        if (hv != null) hv.close();
    }

    private static int domains() {
        return hv.connection().call("count domains", c -> c.numOfDomains() + c.numOfDefinedDomains());
    }

    /** Values the API accepts that an injection attempt would still try: shell syntax, look-alikes, punctuation. */
    @Provide
    Arbitrary<String> sly() {
        return Arbitraries.oneOf(HostileInput.strings(), Arbitraries.of("$(reboot)", "`id`", ";rm -rf /", "| nc x 1", "${IFS}",
            "\u0430dmin", "caf\u00e9", "\u00a0nbsp", "\u4e2d\u6587", "a,b@c:d+e", "x=1 y=2", "%s%n", "\\n", "--", "-", "%00",
            "console=ttyS0 init=/bin/sh", "a".repeat(64)));
    }

    @Provide
    Arbitrary<String> names() {
        return Arbitraries.oneOf(HostileInput.plain(), Arbitraries.of("a.b_c-d", "0", "A" + "b".repeat(63), "x..y", "-lead", ".dot"),
            HostileInput.strings());
    }

    @Property(tries = 400, shrinking = ShrinkingMode.BOUNDED)
    void refusedSpecsDefineNothingAndAcceptedOnesStayValues(
            @ForAll("names") String name, @ForAll @Size(6) List<@From("sly") String> s,
            @ForAll @IntRange(min = 0, max = 3) int disks, @ForAll @IntRange(min = 0, max = 2) int nics, @ForAll boolean vnc) {
        int before = domains();
        String unique = name == null ? null : name.length() > 50 ? name : name + "-" + UUID.randomUUID().toString().substring(0, 8);
        VmSpec spec;
        try {
            VmSpec.Builder b = VmSpec.builder(unique).vcpus(1).memoryMiB(128)
                .kernelBoot("/var/lib/limiquantix/images/" + (s.get(0) == null ? "k" : s.get(0)), null, s.get(1));
            for (int i = 0; i < disks; i++)
                b.disk(new DiskSpec("d" + i, DiskSource.file("/var/lib/limiquantix/images/" + s.get(2) + i, DiskSource.Format.QCOW2),
                    DiskSpec.Bus.values()[i % 3], null, false, 0));
            for (int i = 0; i < nics; i++) b.nic(NicSpec.network(i == 0 ? "default" : s.get(3)));
            if (vnc) b.graphics(GraphicsSpec.vnc());
            Map<String, String> labels = new HashMap<>();
            labels.put("k", s.get(4));
            labels.put("note", s.get(5));
            b.labels(labels);
            spec = b.build().withId(UUID.randomUUID().toString());
        } catch (InvalidArgumentException e) {
            HostileSpecDefineTest.assertNamesAField(e);
            assertEquals(before, domains(), "a refused spec defined something");
            Statistics.label("outcome").collect("refused by the API");
            return;
        }
        try {
            hv.createVm(spec);
        } catch (HypervisorException e) {
            // The backend may refuse what the test driver cannot do (an unknown network): typed, and nothing defined.
            assertEquals(before, domains(), "a refused create defined something: " + e);
            Statistics.label("outcome").collect("refused by the backend: " + e.getClass().getSimpleName());
            return;
        }
        try {
            assertEquals(before + 1, domains());
            String xml = hv.connection().call("dump", c -> c.domainLookupByUUIDString(spec.id()).getXMLDesc(0));
            XmlDoc x = XmlDoc.parse(xml); // refuses DTDs and entities
            assertEquals(spec.name(), x.string("/domain/name"));
            assertEquals(spec.id(), x.string("/domain/uuid"));
            assertEquals(String.valueOf(spec.disks().size()), x.string("count(/domain/devices/disk)"), xml);
            assertEquals(String.valueOf(spec.nics().size()), x.string("count(/domain/devices/interface)"), xml);
            assertEquals(vnc ? "1" : "0", x.string("count(/domain/devices/graphics)"), xml);
            assertEquals("1", x.string("count(/domain)"));
            assertEquals("0", x.string("count(//comment())"));
            BootSource boot = spec.boot();
            if (boot.cmdline() != null) assertEquals(boot.cmdline(), x.string("/domain/os/cmdline"));
            assertEquals(boot.kernel(), x.string("/domain/os/kernel"));
            for (int i = 0; i < spec.disks().size(); i++)
                assertEquals(spec.disks().get(i).source().path(), x.string("/domain/devices/disk[" + (i + 1) + "]/source/@file"), xml);
            for (Map.Entry<String, String> l : spec.labels().entrySet()) // label values never hold quotes (the API refuses them)
                assertEquals("1", x.string("count(/domain/metadata/*/*[local-name()='labels']/*[@key='" + l.getKey() + "' and @value='"
                    + l.getValue() + "'])"),
                    "label " + l.getKey() + " as one attribute value: " + xml);
            assertEquals(String.valueOf(spec.labels().size()), x.string("count(/domain/metadata/*/*[local-name()='labels']/*)"), xml);
            assertFalse(x.string("count(//*[local-name()='commandline'])").compareTo("0") > 0, "no qemu:commandline: " + xml);
            Statistics.label("outcome").collect("defined and checked");
        } finally {
            hv.deleteVm(spec.id());
            assertEquals(before, domains(), "deleting the VM removed it");
        }
    }

    static void assertNamesAField(InvalidArgumentException e) {
        assertTrue(e.field() != null && !e.field().isBlank(), e::toString);
        assertTrue(e.getMessage().startsWith(e.field() + ": "), e::getMessage);
    }
}
