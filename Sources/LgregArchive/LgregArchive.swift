/// Namespace of the `LgregArchive` module; its types arrive with the issue that builds it.
public enum LgregArchive {}
