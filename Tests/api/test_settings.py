"""One list of settings (issue 16): every environment variable the code reads is a case of `Setting`
(Sources/clientele/Setting.swift), which `Environment`'s readers require; each is read in one place; and
README's Configuration table documents exactly those."""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLIENTELE = ROOT / "Sources" / "clientele"
# Documented because operators set them, read by libpq itself, not by Clientele's code.
READ_BY_LIBPQ = {"PGPASSFILE"}
READERS = r"(?:string|int|bool|secret|requiredSecret|required|connectionString)"


def catalogue():
    cases = dict(re.findall(r'^\s*case (\w+) = "([A-Z0-9_]+)"', (CLIENTELE / "Setting.swift").read_text(), re.M))
    assert len(cases) > 30
    return cases


def readme_variables():
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Configuration"):]
    section = section[:section.index("\n### ")]
    names = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", first_cell))
    return names


def test_readme_documents_exactly_the_settings_the_code_reads():
    code = set(catalogue().values())
    documented = readme_variables()
    assert code - documented == set(), "read but not in README's Configuration table"
    assert documented - code - READ_BY_LIBPQ == set(), "in README's Configuration table but never read"


def test_each_setting_is_read_in_one_place_and_only_through_the_catalogue():
    sources = {path: path.read_text() for path in CLIENTELE.glob("*.swift")}
    reads = {}
    for path, text in sources.items():
        for case in re.findall(rf"\b{READERS}\(\s*\.(\w+)", text):
            reads.setdefault(case, []).append(path.name)
        # A reader called with anything else than a case of the catalogue would escape this test.
        for call in re.findall(rf"(?:environment|Environment\(\))\.{READERS}\(\s*([^.\s)][\w.]*)", text):
            assert call == "secret.setting", f"{path.name}: an environment read not by a Setting case: {call!r}"
    cases = catalogue()
    file_variants = {case for case, name in cases.items() if name.endswith("_FILE")}
    # `secret(.x)` reads X and X_FILE with no default or range of the caller's: one parser wherever it is
    # called. The secrets command reads its three through a list of cases.
    secrets = set(re.findall(r"\(\.(\w+), \"\w+\", \d+\)", sources[CLIENTELE / "Secrets.swift"]))
    secrets |= {case for text in sources.values() for case in re.findall(r"\.(?:requiredSecret|secret)\(\s*\.(\w+)", text)}
    assert {"jwtSecret", "adminPassword", "postgresPassword"} <= secrets
    for case in cases:
        if case in file_variants or case in secrets:
            continue
        assert len(reads.get(case, [])) == 1, (case, reads.get(case))
    assert set(reads) <= set(cases), set(reads) - set(cases)
    # Nothing else in the sources reads the process environment.
    for path in (ROOT / "Sources").rglob("*.swift"):
        if path.name != "Environment.swift":
            assert not re.search(r"processInfo\.environment|getenv\(", path.read_text()), path
