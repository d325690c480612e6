public enum DirectLinkXMLPlaceholder {}
