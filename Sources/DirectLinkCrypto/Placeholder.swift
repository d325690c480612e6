public enum DirectLinkCryptoPlaceholder {}
