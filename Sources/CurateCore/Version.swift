/// The version `curate --version` prints and every run records.
public enum CurateVersion {
    public static let string = "0.1.0"
}
