/// Namespace of the `LgregTraining` module; its types arrive with the issue that builds it.
public enum LgregTraining {}
