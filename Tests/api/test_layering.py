"""README's layering, checked on the sources (issue 16): who may import whom, and where SQL runs."""
import pathlib
import re

SOURCES = pathlib.Path(__file__).resolve().parents[2] / "Sources"


def imports(module):
    found = set()
    for path in (SOURCES / module).rglob("*.swift"):
        found |= set(re.findall(r"^(?:@preconcurrency )?import (\w+)", path.read_text(), re.M))
    return found


def test_the_domain_depends_on_the_database_layer_and_its_own_helpers_only():
    assert imports("Customers") <= {"Foundation", "Postgres", "Identifiers", "Validation", "CSV"}, imports("Customers")


def test_only_postgres_imports_libpq_only_mail_imports_libcurl_and_no_domain_module_imports_hummingbird():
    modules = [p.name for p in SOURCES.iterdir() if p.is_dir()]
    for module in modules:
        found = imports(module)
        assert "CLibPQ" not in found or module == "Postgres", module
        assert "CCurl" not in found or module in ("Mail", "CCurlShims"), module
    for module in ["Customers", "CustomerImports", "Auth", "Jobs", "Validation", "Postgres", "Passwords"]:
        assert not {"Hummingbird", "HummingbirdCore"} & imports(module), module


def test_admin_api_runs_no_sql_of_its_own():
    for path in (SOURCES / "AdminAPI").rglob("*.swift"):
        text = path.read_text()
        assert not re.search(r"\.(query|withTransaction|withConnection)\(", text), path
