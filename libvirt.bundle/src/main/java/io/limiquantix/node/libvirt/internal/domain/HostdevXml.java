package io.limiquantix.node.libvirt.internal.domain;

import io.limiquantix.node.libvirt.internal.domain.DomainModel.Hostdev;
import io.limiquantix.node.libvirt.internal.domain.DomainModel.MdevHostdev;
import io.limiquantix.node.libvirt.internal.domain.DomainModel.PciAddress;
import io.limiquantix.node.libvirt.internal.domain.DomainModel.PciHostdev;
import io.limiquantix.node.libvirt.internal.domain.DomainModel.UsbHostdev;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * Writes {@code <hostdev mode='subsystem'>} elements into a domain being written by {@link DomainXmlWriter},
 * with the same rule: values only through the XML writer, checked for characters XML cannot carry.
 * The shapes are the ones gpu-vfio's README documents for its reservations.
 */
final class HostdevXml {
    private final XMLStreamWriter out;

    HostdevXml(XMLStreamWriter out) {
        this.out = out;
    }

    void write(Hostdev hostdev) throws XMLStreamException {
        if (hostdev instanceof PciHostdev p) pci(p);
        else if (hostdev instanceof MdevHostdev m) mdev(m);
        else if (hostdev instanceof UsbHostdev u) usb(u);
        else throw new IllegalArgumentException("unknown hostdev " + hostdev);
    }

    private void pci(PciHostdev p) throws XMLStreamException {
        out.writeStartElement("hostdev");
        attr("mode", "subsystem");
        attr("type", "pci");
        // The device provider has bound the function to vfio-pci already (gpu-vfio.bundle/README.md,
        // "this node binds"); managed='yes' would make libvirt unbind and rebind it at every start and stop.
        attr("managed", "no");
        out.writeEmptyElement("driver");
        attr("name", "vfio");
        out.writeStartElement("source");
        out.writeEmptyElement("address");
        pciAddress(p.source());
        out.writeEndElement();
        if (p.romBar() != null) {
            out.writeEmptyElement("rom");
            attr("bar", p.romBar() ? "on" : "off");
        }
        if (p.guestAddress() != null) {
            out.writeEmptyElement("address");
            attr("type", "pci");
            pciAddress(p.guestAddress());
            if (p.multifunction()) attr("multifunction", "on");
        }
        out.writeEndElement();
    }

    private void pciAddress(PciAddress a) throws XMLStreamException {
        attr("domain", String.format("0x%04x", a.domain()));
        attr("bus", String.format("0x%02x", a.bus()));
        attr("slot", String.format("0x%02x", a.slot()));
        attr("function", String.format("0x%x", a.function()));
    }

    private void mdev(MdevHostdev m) throws XMLStreamException {
        out.writeStartElement("hostdev");
        attr("mode", "subsystem");
        attr("type", "mdev");
        attr("model", "vfio-pci");
        attr("display", m.display() ? "on" : "off");
        out.writeStartElement("source");
        out.writeEmptyElement("address");
        attr("uuid", m.uuid());
        out.writeEndElement();
        out.writeEndElement();
    }

    private void usb(UsbHostdev u) throws XMLStreamException {
        out.writeStartElement("hostdev");
        attr("mode", "subsystem");
        attr("type", "usb");
        // Nothing is unbound for USB whatever managed says (libvirt only gives QEMU the device node); 'yes'
        // is the form libvirt documents for USB hostdevs.
        attr("managed", "yes");
        out.writeStartElement("source");
        if (u.vendorId() != null) {
            out.writeEmptyElement("vendor");
            attr("id", u.vendorId());
            out.writeEmptyElement("product");
            attr("id", u.productId());
        } else {
            out.writeEmptyElement("address");
            attr("bus", Integer.toString(u.bus()));
            attr("device", Integer.toString(u.device()));
        }
        out.writeEndElement();
        out.writeEndElement();
    }

    private void attr(String name, String value) throws XMLStreamException {
        out.writeAttribute(name, DomainXmlWriter.checked(value));
    }
}
