import GRDB
public enum EnginePlaceholder {}
