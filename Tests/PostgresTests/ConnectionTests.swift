import Foundation
import Postgres
import TestSupport
import Testing

@Suite struct ConnectionTests {
    @Test func everySupportedTypeRoundTripsIncludingNullAndNonASCII() throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let connection = try database.connect()
        let text = "Zoë 🚀 Ñandú — 北京"
        let when = Timestamp(parsing: "2024-02-29T23:59:58.123456Z")!
        let json = JSONText(#"{"a": [1, 2, {"b": null}], "ü": "ß"}"#)
        let row = try connection.execute(
            """
            SELECT \(text)::text, \(Int(-9_223_372_036_854_775_807))::bigint, \(true)::boolean, \(false)::boolean,
                   \(3.25)::float8, \(when)::timestamptz, \(json)::jsonb, \(nil as String?)::text,
                   \(nil as Int?)::int, \(42)::int4, \(7)::int2, \(when.date)::timestamptz
            """
        ).first!
        #expect(try row.decode(String.self, at: 0) == text)
        #expect(try row.decode(Int.self, at: 1) == -9_223_372_036_854_775_807)
        #expect(try row.decode(Bool.self, at: 2) == true)
        #expect(try row.decode(Bool.self, at: 3) == false)
        #expect(try row.decode(Double.self, at: 4) == 3.25)
        #expect(try row.decode(Timestamp.self, at: 5) == when)
        #expect(try row.decode(Timestamp.self, at: 5).iso8601Milliseconds == "2024-02-29T23:59:58.123Z")
        let decodedJSON = try row.decode(JSONText.self, at: 6).decode([String: AnyDecodable].self)
        #expect(decodedJSON["ü"]?.text == "ß")
        #expect(try row.decode(String?.self, at: 7) == nil)
        #expect(try row.decode(Int?.self, at: 8) == nil)
        #expect(try row.decode(Int.self, at: 9) == 42)
        #expect(try row.decode(Int.self, at: 10) == 7)
        #expect(abs(try row.decode(Date.self, at: 11).timeIntervalSince(when.date)) < 0.000_002)
        #expect(try row.decode(Decoded<[String: AnyDecodable]>.self, at: 6).value.count == 2)
    }

    @Test func typeMismatchAndNullGiveClearErrors() throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let row = try database.connect().execute("SELECT 'x'::text AS name, NULL::int AS n").first!
        let mismatch = #expect(throws: PostgresError.self) { try row.decode(Int.self, at: 0) }
        #expect(mismatch?.kind == .decoding)
        #expect(mismatch?.message.contains("name") == true)
        let null = #expect(throws: PostgresError.self) { try row.decode("n", as: Int.self) }
        #expect(null?.message.contains("NULL") == true)
    }

    @Test func hostileStringsAreParametersNotSQL() throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let connection = try database.connect()
        try connection.execute(simple: "CREATE TABLE t (v text)")
        let hostile = [
            "'; DROP TABLE t; --", "\\", "$1", "\"quoted\"", "%_", "line\nbreak", "tab\t", "{\"a\",\"b\"}",
            "Robert'); DELETE FROM t;--", String(repeating: "x", count: 100_000),
        ]
        for value in hostile {
            try connection.execute("INSERT INTO t (v) VALUES (\(value))")
        }
        let stored = try connection.execute("SELECT v FROM t").rows.map { try $0.decode(String.self, at: 0) }
        #expect(stored == hostile)
        // Arrays of hostile strings survive the array literal too.
        let array = try connection.execute("SELECT array_length(\(hostile)::text[], 1), (\(hostile)::text[])[1]").first!
        #expect(try array.decode(Int.self, at: 0) == hostile.count)
        #expect(try array.decode(String.self, at: 1) == hostile[0])
    }

    @Test func errorsCarrySQLStateAndNamedChecks() throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let connection = try database.connect()
        try connection.execute(
            simple: """
                CREATE TABLE parent (id int PRIMARY KEY);
                CREATE TABLE child (id int PRIMARY KEY, parent_id int CONSTRAINT child_parent_fk REFERENCES parent (id));
                INSERT INTO parent VALUES (1);
                """)
        let unique = #expect(throws: PostgresError.self) { try connection.execute("INSERT INTO parent VALUES (\(1))") }
        #expect(unique?.isUniqueViolation == true)
        #expect(unique?.sqlState == "23505")
        #expect(unique?.constraint == "parent_pkey")
        #expect(unique?.detail?.contains("(id)=(1)") == true)
        let foreign = #expect(throws: PostgresError.self) { try connection.execute("INSERT INTO child VALUES (1, \(99))") }
        #expect(foreign?.isForeignKeyViolation == true)
        #expect(foreign?.constraint == "child_parent_fk")
        let syntax = #expect(throws: PostgresError.self) { try connection.execute("SELEC 1") }
        #expect(syntax?.sqlState == "42601")
        #expect(syntax?.isConnectionLost == false)
        #expect(syntax?.isInvalidInput == false)
        let badInput = #expect(throws: PostgresError.self) { try connection.execute("SELECT \("x")::int") }
        #expect(badInput?.sqlState == "22P02")
        #expect(badInput?.isInvalidInput == true)
        let serialization = #expect(throws: PostgresError.self) {
            try connection.execute(simple: "DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '40001'; END $$")
        }
        #expect(serialization?.isSerializationFailure == true)
    }

    @Test func connectionErrorsCarryTheServersMessage() throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let missing = database.url.replacingOccurrences(of: database.name, with: "no_such_database")
        let error = #expect(throws: PostgresError.self) {
            try Connection(ConnectionOptions(url: missing, applicationName: "test"))
        }
        #expect(error?.kind == .connection)
        #expect(error?.message.contains("no_such_database") == true)
        #expect(error?.isConnectionLost == true)
    }

    @Test func applicationNameIsSet() throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let connection = try database.connect("clientele-serve/4242")
        let name = try connection.execute("SELECT current_setting('application_name')").first!.decode(String.self, at: 0)
        #expect(name == "clientele-serve/4242")
    }

    @Test func preparedStatementIsParsedOncePerConnection() throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let connection = try database.connect()
        for value in 1...5 {
            let row = try connection.execute("SELECT \(value)::int + 1").first!
            #expect(try row.decode(Int.self, at: 0) == value + 1)
        }
        let prepared = try connection.execute(
            "SELECT count(*)::int FROM pg_prepared_statements WHERE statement LIKE \("SELECT $1::int + 1%")"
        ).first!.decode(Int.self, at: 0)
        #expect(prepared == 1)
    }

    @Test func timestampsParseAndPrint() {
        #expect(Timestamp(parsing: "2024-01-01")?.iso8601Milliseconds == "2024-01-01T00:00:00.000Z")
        #expect(Timestamp(parsing: "2024-01-01 10:00:00+05:30")?.iso8601Milliseconds == "2024-01-01T04:30:00.000Z")
        #expect(Timestamp(parsing: "1969-12-31T23:59:59.999Z")?.microsecondsSinceEpoch == -1000)
        #expect(Timestamp(parsing: "2024-02-30") == nil)
        #expect(Timestamp(parsing: "2024-01-01T25:00:00Z") == nil)
        #expect(Timestamp(parsing: "yesterday") == nil)
    }

    @Test func timestampsOutsideYears1To9999AreNotParsed() {
        #expect(Timestamp(parsing: "0000-01-01T00:00:00Z") == nil)
        #expect(Timestamp(parsing: "0001-01-01T00:00:00+01:00") == nil)
        #expect(Timestamp(parsing: "9999-12-31T23:59:59-01:00") == nil)
        #expect(Timestamp(parsing: "0001-01-01T00:00:00Z")?.iso8601Milliseconds == "0001-01-01T00:00:00.000Z")
        #expect(Timestamp(parsing: "9999-12-31T23:59:59.999999Z")?.iso8601Microseconds == "9999-12-31T23:59:59.999999Z")
    }
}

/// Any JSON value, for checking decoded JSON in tests.
struct AnyDecodable: Decodable {
    let text: String?
    init(from decoder: any Decoder) throws {
        text = try? decoder.singleValueContainer().decode(String.self)
    }
}
