import CSV
import Customers
import JSON
import Postgres
import Validation

/// One data row of an import file, checked exactly as the create route checks a body: its cells become the
/// JSON object a client would have sent, and `CustomerDraft.read` reads it with the create route's code
/// (`.importedRow`: only email is required). So the rules and messages are the create route's own.
struct ImportRow: Sendable {
    /// A row that passed.
    struct Valid: Sendable {
        var line: Int
        var draft: CustomerDraft
        /// Names of the groups to join (created when missing).
        var groups: [String]
        /// The metadata as an update merges it (keys to set, keys sent as "" to remove), as the update
        /// route does; nil without metadata.
        var metadataPatch: (set: JSONText?, remove: [String])?
    }

    /// A row that failed: what the errors report shows.
    struct Failure: Error, Sendable, Equatable {
        var line: Int
        /// The email cell as it was in the file (empty when there was none).
        var email: String
        var message: String
    }

    /// Group names are unique through a btree index: the group route's limit.
    static let maximumGroupNameLength = 255

    /// Checks the cells of `record` (whose count matches `columns`, the upload made sure of it).
    static func check(_ record: CSVRecord, columns: [ImportColumn]) -> Result<Valid, Failure> {
        var object = JSONObject()
        var groupsCell: String?
        var emailCell = ""
        for (column, raw) in zip(columns, record.cells) {
            // Undo the export's formula guard, so that an exported file imports back as it was.
            let cell = CSVReader.unescapingFormula(raw)
            switch column {
            case .email:
                emailCell = cell
                object["email"] = cell.isEmpty ? .null : .string(cell)
            case .first_name, .last_name, .phone:
                // An empty cell is null.
                object[column.rawValue] = cell.isEmpty ? .null : .string(cell)
            case .password:
                if !cell.isEmpty { object["password"] = .string(cell) }
            case .metadata:
                if !cell.isEmpty {
                    // Not JSON at all reads as a string: the create route's "metadata must be an object".
                    object["metadata"] = (try? JSONParser.parse(Array(cell.utf8))) ?? .string(cell)
                }
            case .groups:
                groupsCell = cell
            }
        }
        var body = BodyReader(object: object, allowed: CustomerDraft.fields)
        let draft = CustomerDraft.read(&body, rules: .importedRow)
        let groups = groupsCell.map(splitGroups) ?? []
        if groups.contains(where: { $0.count > maximumGroupNameLength }) {
            body.validator.add("groups must be names shorter than or equal to \(maximumGroupNameLength) characters")
        }
        do {
            try body.finish()
        } catch {
            return .failure(Failure(line: record.line, email: emailCell, message: error.message))
        }
        var valid = Valid(line: record.line, draft: draft!, groups: groups)
        if case .object(let metadata) = object["metadata"] { valid.metadataPatch = metadata.metadataPatch }
        return .success(valid)
    }

    /// `VIP;Wholesale` into names, as the export joins them: `;` separates, `\` makes the next character
    /// part of the name (`A\;B` is one group, `A\\B` has one backslash). Empty names are dropped.
    static func splitGroups(_ cell: String) -> [String] {
        var names: [String] = []
        var current = ""
        var escaped = false
        for character in cell {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ";" {
                names.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        names.append(current)
        return names.filter { !$0.isEmpty }
    }
}
