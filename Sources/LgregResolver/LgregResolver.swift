/// Namespace of the `LgregResolver` module; its types arrive with the issue that builds it.
public enum LgregResolver {}
