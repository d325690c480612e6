public enum DirectLinkMessagePlaceholder {}
