package io.limiquantix.node.libvirt.internal.domain;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import javax.xml.xpath.XPath;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathExpressionException;
import javax.xml.xpath.XPathFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

/**
 * A parsed XML document (libvirt's domain, snapshot or capabilities XML) with XPath lookups. The parser
 * refuses DTDs and external entities: the XML comes from libvirtd, but nothing here needs them.
 */
public final class XmlDoc {
    private static final DocumentBuilderFactory FACTORY = factory();
    private final Document doc;
    private final XPath xpath = XPathFactory.newDefaultInstance().newXPath();

    private XmlDoc(Document doc) {
        this.doc = doc;
    }

    private static DocumentBuilderFactory factory() {
        // The JDK's own implementations: in OSGi the context class loader may offer others, with other features.
        DocumentBuilderFactory f = DocumentBuilderFactory.newDefaultInstance();
        try {
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the XML parser cannot be made safe", e);
        }
        f.setExpandEntityReferences(false);
        f.setNamespaceAware(false);
        return f;
    }

    public static XmlDoc parse(String xml) {
        try {
            DocumentBuilder b;
            synchronized (FACTORY) {
                b = FACTORY.newDocumentBuilder();
            }
            return new XmlDoc(b.parse(new InputSource(new StringReader(xml))));
        } catch (ParserConfigurationException | SAXException | IOException e) {
            throw new IllegalArgumentException("unparseable XML from libvirt: " + e.getMessage(), e);
        }
    }

    /** The string value of an XPath expression; "" when it selects nothing. */
    public String string(String expression) {
        try {
            return (String) xpath.evaluate(expression, doc, XPathConstants.STRING);
        } catch (XPathExpressionException e) {
            throw new IllegalArgumentException("bad XPath " + expression, e);
        }
    }

    public boolean exists(String expression) {
        try {
            return (Boolean) xpath.evaluate("boolean(" + expression + ")", doc, XPathConstants.BOOLEAN);
        } catch (XPathExpressionException e) {
            throw new IllegalArgumentException("bad XPath " + expression, e);
        }
    }

    public List<Element> elements(String expression) {
        try {
            NodeList nodes = (NodeList) xpath.evaluate(expression, doc, XPathConstants.NODESET);
            List<Element> out = new ArrayList<>(nodes.getLength());
            for (int i = 0; i < nodes.getLength(); i++)
                if (nodes.item(i) instanceof Element e) out.add(e);
            return out;
        } catch (XPathExpressionException e) {
            throw new IllegalArgumentException("bad XPath " + expression, e);
        }
    }

    public List<String> strings(String expression) {
        try {
            NodeList nodes = (NodeList) xpath.evaluate(expression, doc, XPathConstants.NODESET);
            List<String> out = new ArrayList<>(nodes.getLength());
            for (int i = 0; i < nodes.getLength(); i++) out.add(nodes.item(i).getTextContent());
            return out;
        } catch (XPathExpressionException e) {
            throw new IllegalArgumentException("bad XPath " + expression, e);
        }
    }

    /** Direct child elements of {@code parent} with this tag name. */
    public List<Element> elementsUnder(Element parent, String tag) {
        List<Element> out = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling())
            if (n instanceof Element e && e.getTagName().equals(tag)) out.add(e);
        return out;
    }

    /** An element serialized on its own, e.g. a {@code <disk>} to hand back to libvirt for detaching. */
    public static String serialize(Node node) {
        try {
            Transformer t = TransformerFactory.newDefaultInstance().newTransformer();
            t.setOutputProperty(OutputKeys.OMIT_XML_DECLARATION, "yes");
            StringWriter out = new StringWriter();
            t.transform(new DOMSource(node), new StreamResult(out));
            return out.toString();
        } catch (TransformerException e) {
            throw new IllegalStateException("cannot serialize XML: " + e.getMessage(), e);
        }
    }
}
