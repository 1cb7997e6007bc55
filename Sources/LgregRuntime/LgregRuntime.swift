/// Namespace of the `LgregRuntime` module; its types arrive with the issue that builds it.
public enum LgregRuntime {}
