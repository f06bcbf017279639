/// The files of the top-level `sql/migrations` as they were when this binary was built: the EmbedMigrations
/// build plugin compiles them in (`embeddedMigrationFiles`), so `clientele migrate` runs from any folder and
/// in an image that carries no `sql/`. Their text is the files' byte for byte, so the checksums `migrate`
/// records are the ones the files gave: a database migrated from the folder sees no change.
public enum SQLMigrations {
    /// File name (`NNNN_name.sql`) and text, in name order.
    public static let files: [(name: String, sql: String)] = embeddedMigrationFiles
}
