@testable import Postgres
import Testing

/// `ConnectionString.problem(in:)`: what libpq's parser refuses, said without the password.
@Suite struct ConnectionStringTests {
    @Test(arguments: [
        "clientele", "postgresql://localhost/db", "postgres://u:pw@[::1]:5432/db?sslmode=disable",
        "host=localhost dbname=x password='a b'", "postgresql://u:pw@host:99999/db",
    ])
    func whatLibpqParsesHasNoProblem(_ text: String) {
        #expect(ConnectionString.problem(in: text) == nil)
    }

    @Test(arguments: [
        ("postgresql://app:hunter2@[::1", #"in URI: "postgresql://app:***@[::1""#),
        ("postgresql://app:hunter2%zz@host/db", #"invalid percent-encoded token: "***""#),
        ("postgresql://app@host/db?password=hunter2%zz", #"invalid percent-encoded token: "***""#),
        ("host=h password='hunter2 x bogus=1", "unterminated quoted string"),
        ("host=h password=hunter2 bogus=1", #"invalid connection option "bogus""#),
    ])
    func problemsNameTheReasonButNeverThePassword(_ text: String, _ reason: String) throws {
        let problem = try #require(ConnectionString.problem(in: text))
        #expect(problem.contains(reason), "\(problem)")
        #expect(!problem.contains("hunter2") && !problem.contains("ter2"), "\(problem)")
    }

    @Test func overlappingReadingsOfTheUserInfoAreHiddenTogether() {
        // A malformed URI may be read up to its first or its last `@`: both candidates go, as one span.
        let text = "postgresql://app:hun@ter2@[::1"
        let message = ConnectionString.redacted("end of string in URI: \"\(text)\"", of: text)
        #expect(message == #"end of string in URI: "postgresql://app:***@[::1""#)
    }
}
