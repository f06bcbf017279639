"""A leased connection cannot be shared between tasks: the compiler refuses it (issue 16, "Sendable by construction").

`LeasedConnection` is not Sendable, so an `async let` or a task group inside `withTransaction` that would send two
statements on one libpq connection at once does not compile. These tests compile two small files against the
Postgres module of the build under test (`CLIENTELE_BIN`'s build folder): the misuse must fail with Swift's
data-race error, the same work done in order must compile.
"""
import glob
import os
import subprocess

import pytest

from conftest import BIN, ROOT

MISUSE = """
import Postgres
func twoStatementsAtOnce(_ database: Database) async throws {
    try await database.withTransaction { connection in
        async let first = connection.query("SELECT 1")
        let second = try await connection.query("SELECT 2")
        return try await first.rowCount + second.rowCount
    }
}
"""

TASK_GROUP_MISUSE = """
import Postgres
func statementsFromChildTasks(_ database: Database) async throws {
    try await database.withConnection { connection in
        try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask { try await connection.query("SELECT 1").rowCount }
            group.addTask { try await connection.query("SELECT 2").rowCount }
            return try await group.reduce(0, +)
        }
    }
}
"""

IN_ORDER = """
import Postgres
func oneAfterTheOther(_ database: Database) async throws {
    try await database.withTransaction { connection in
        let first = try await connection.query("SELECT 1")
        let second = try await connection.query("SELECT 2")
        return first.rowCount + second.rowCount
    }
}
"""


def compile_against_postgres(tmp_path, source):
    build = os.path.dirname(os.path.realpath(BIN))
    if not os.path.isdir(os.path.join(build, "Modules")):
        pytest.fail(f"no Modules folder next to {BIN}: build first")
    file = tmp_path / "check.swift"
    file.write_text(source)
    command = ["swiftc", "-swift-version", "6", "-emit-sil", "-o", "/dev/null", "-I", os.path.join(build, "Modules"),
               "-Xcc", "-fmodule-map-file=" + os.path.join(ROOT, "Sources/CLibPQ/module.modulemap"),
               "-Xcc", "-I/usr/include/postgresql", "-Xcc", "-I" + os.path.join(ROOT, "Sources/CShims/include")]
    # The C modules of the dependencies (NIO's shims, under BlockingWork) as SwiftPM generated them.
    for modulemap in glob.glob(os.path.join(build, "*.build", "module.modulemap")):
        command += ["-Xcc", "-fmodule-map-file=" + modulemap]
    for include in glob.glob(os.path.join(ROOT, ".build", "checkouts", "*", "Sources", "*", "include")):
        command += ["-Xcc", "-I" + include]
    command.append(str(file))
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("source", [MISUSE, TASK_GROUP_MISUSE], ids=["async let", "task group"])
def test_two_tasks_sharing_a_leased_connection_do_not_compile(tmp_path, source):
    result = compile_against_postgres(tmp_path, source)
    assert result.returncode != 0
    assert "risks causing data races" in result.stderr, result.stderr


def test_statements_in_order_on_a_leased_connection_compile(tmp_path):
    result = compile_against_postgres(tmp_path, IN_ORDER)
    assert result.returncode == 0, result.stderr
