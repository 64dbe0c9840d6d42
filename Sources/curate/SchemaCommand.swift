import ArgumentParser
import Catalog
import Foundation

extension Curate {
    /// `curate schema`: the catalog's tables, from the schema this curate creates.
    struct Schema: ParsableCommand, Exemplified {
        static let example = "curate schema --sql"

        static let configuration = CommandConfiguration(
            commandName: "schema",
            abstract: "Print the catalog's schema: each table, its columns, who writes and who reads it.",
            discussion: """
            A Markdown table made from a fresh catalog's real tables (README.md's schema section is
            this output; a test keeps them equal), or with --sql the CREATE statements. The
            catalog's version is its PRAGMA user_version.

            Examples:
              curate schema
              \(example)
            """
        )

        @Flag(help: "Print the SQL of every table, index and view instead.")
        var sql = false

        func run() throws {
            let store = try CatalogStore(path: ":memory:", create: true)
            if sql {
                for row in try store.db.query("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE '%_fts_%' ORDER BY rowid") {
                    if case .text(let statement) = row[0] { print(statement + ";") }
                }
                print("PRAGMA user_version = \(CatalogSchema.version);")
            } else {
                print(try CatalogSchema.markdown(store.db), terminator: "")
            }
        }
    }
}
