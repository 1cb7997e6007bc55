/// Namespace of the `LgregStore` module; its types arrive with the issue that builds it.
public enum LgregStore {}
