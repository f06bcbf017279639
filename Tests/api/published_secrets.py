"""The secrets Clientele's repository publishes, as Sources/clientele/PublishedSecrets.swift lists them (the
list `serve`, `migrate` and `secrets` refuse), and the scan of the repository's files that must agree with it."""
import os
import re
import subprocess

from conftest import ROOT

LIST = os.path.join(ROOT, "Sources", "clientele", "PublishedSecrets.swift")
# The settings whose values are secrets or admin passwords (DB_PASSWORD: the pgbouncer image's name for it).
NAMES = r"(?:JWT_SECRET|ADMIN_PASSWORD|POSTGRES_PASSWORD|DB_PASSWORD)"
# How the repository's files assign a literal: `NAME = "v"`, `"NAME": "v"`, `NAME: 'v'` (Python, JSON, YAML);
# `${NAME:-v}` (compose's default); and, outside Python and Swift (where an unquoted value is a variable),
# `NAME=v` or `NAME: v` (shell, .env, YAML, a command line).
ASSIGNMENTS = [
    re.compile(NAMES + r"""["']?\s*[:=]\s*["']([^"'$\s{}]+)["']"""),
    re.compile(r"\$\{" + NAMES + r":?-([^}$][^}]*)\}"),
]
UNQUOTED_ASSIGNMENTS = [
    re.compile(r"(?m)^\s*(?:export\s+|-\s+)?" + NAMES + r"""\s*[:=]\s*([^\s"'$#{}()]+)\s*(?:#.*)?$"""),
    re.compile(r"\b" + NAMES + r"""=([^\s"'$;)`{}<>]+)"""),
]
CODE = (".py", ".swift")
# Shorter values are not secrets anyone could use (too short to be accepted, or a test's deliberate "short").
MINIMUM_LENGTH = 8


def listed():
    """(current, former): the two sets of PublishedSecrets.swift."""
    with open(LIST) as f:
        text = f.read()
    sets = {}
    for name in ("current", "former"):
        body = re.search(r"static let " + name + r": Set<String> = \[(.*?)\]", text, re.S).group(1)
        sets[name] = set(re.findall(r'"((?:[^"\\]|\\.)*)"', body))
    return sets["current"], sets["former"]


def published():
    current, former = listed()
    return current | former


def found_in_repository():
    """{value: [files]} for every literal the tracked files assign to one of NAMES (the list itself excepted)."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    found = {}
    for path in filter(None, files.decode().split("\0")):
        full = os.path.join(ROOT, path)
        if full == LIST or not os.path.isfile(full):
            continue
        try:
            with open(full, encoding="utf-8") as f:
                text = f.read()
        except UnicodeDecodeError:
            continue
        for pattern in ASSIGNMENTS + ([] if path.endswith(CODE) else UNQUOTED_ASSIGNMENTS):
            for value in pattern.findall(text):
                if len(value) >= MINIMUM_LENGTH:
                    found.setdefault(value, set()).add(path)
    return found
