"""The documents a newcomer trusts stay true (issue 15 item 7).

- `.env.example` names every environment variable the code reads for operators;
- `docs/triggers.md` lists exactly the triggers PostgreSQL has after migrating;
- every file path `docs/architecture.md` and `README.md` name exists.

Each check reads the source of truth itself (the code's env reads, `pg_trigger`, the file tree),
so a new env read, trigger or renamed file fails here until the document follows."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

# --- .env.example ---------------------------------------------------------------------------------

# Python files whose environment reads are meant for operators.
ENV_PY_SOURCES = ["ticketcore/settings.py", "ticketcore/web.py", "scripts/run.py", "deploy/config.py"]
# Shell scripts: `${NAME:-default}` / `${NAME-default}` reads.
ENV_SH_SOURCES = ["bin/ticketcore"]
# Read, but not configuration: set by pytest itself, or the process's own basics passed through.
NOT_OPERATOR_VARIABLES = {"PYTEST_VERSION", "PYTEST_XDIST_WORKER", "PATH", "HOME"}
_ENV_METHODS = {"bool", "int", "float", "str", "list", "tuple", "dict", "json", "url", "db", "db_url",
                "cache", "cache_url", "path", "email", "email_url", "search_url", "parse_value"}


def _const_str(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _is_os_environ(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ"
            and isinstance(node.value, ast.Name) and node.value.id == "os")


def env_reads_in_python(source: str) -> set[str]:
    """Names read through django-environ (`env("X")`, `env.bool("X")`, ...) or `os.environ`
    (`.get("X")`, `["X"]`, `"X" in os.environ`) and `os.getenv("X")`."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and node.args:
            name = _const_str(node.args[0])
            func = node.func
            if name is None:
                continue
            if isinstance(func, ast.Name) and func.id == "env":
                names.add(name)
            elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                if func.value.id == "env" and func.attr in _ENV_METHODS:
                    names.add(name)
                elif func.value.id == "os" and func.attr == "getenv":
                    names.add(name)
            elif (isinstance(func, ast.Attribute) and func.attr in {"get", "setdefault", "pop"}
                  and _is_os_environ(func.value)):
                names.add(name)
        elif isinstance(node, ast.Subscript) and _is_os_environ(node.value) and isinstance(node.ctx, ast.Load):
            if (name := _const_str(node.slice)) is not None:
                names.add(name)
        elif isinstance(node, ast.Compare) and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
            if any(_is_os_environ(c) for c in node.comparators) and (name := _const_str(node.left)):
                names.add(name)
    return names


def env_reads_in_shell(source: str) -> set[str]:
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*):?[-=?+]", source))


def operator_env_names() -> set[str]:
    names: set[str] = set()
    for rel in ENV_PY_SOURCES:
        names |= env_reads_in_python((ROOT / rel).read_text())
    for rel in ENV_SH_SOURCES:
        names |= env_reads_in_shell((ROOT / rel).read_text())
    return names - NOT_OPERATOR_VARIABLES


def env_example_names() -> set[str]:
    """Names given a line of their own (`NAME=value`, or `# NAME=value` when unset is the default);
    a mention inside a comment's prose does not count."""
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))


def test_env_parser_finds_every_kind_of_read():
    # Pins the parser itself: each form the code uses (or may use) is seen, so a new read of any
    # of these shapes in settings.py fails the test below.
    source = '\n'.join([
        'import os', 'A = env("A1", default="")', 'B = env.bool("B1", default=False)', 'C = env.int("C1", default=1)',
        'D = env.float("D1", default=1.0)', 'E = env.list("E1", default=[])', 'F = env.db("F1", default="x")',
        'G = os.environ.get("G1", "x")', 'H = os.environ["H1"]', 'I = "I1" in os.environ', 'J = os.getenv("J1")',
        'K = settings.get("NOT_ENV")', 'L = env.bool(name_in_a_variable)',
    ])
    assert env_reads_in_python(source) == {"A1", "B1", "C1", "D1", "E1", "F1", "G1", "H1", "I1", "J1"}
    assert env_reads_in_shell('X=${X1:-a}\nY="${Y1:-}"\nZ=$(f "${Z1-b}")\necho "$NOT_A_READ_WITH_DEFAULT"') == {
        "X1", "Y1", "Z1"}


def test_env_example_documents_every_variable_the_code_reads():
    read = operator_env_names()
    assert len(read) > 60, read  # the parser found settings.py's reads at all
    missing = sorted(read - env_example_names())
    assert not missing, f".env.example lacks (add each with a one-line comment and its default): {missing}"


# --- docs/triggers.md ----------------------------------------------------------------------------

_TRIGGERS_SQL = """
SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid)
  FROM pg_trigger t
  JOIN pg_class c ON c.oid = t.tgrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE NOT t.tgisinternal AND n.nspname = current_schema()
"""
_TRIGGERDEF = re.compile(
    r"^CREATE (?:CONSTRAINT )?TRIGGER \S+ (?P<events>.+?) ON \S+ (?P<rest>.*?)"
    r"FOR EACH (?P<level>ROW|STATEMENT) (?:WHEN \(.*\) )?EXECUTE FUNCTION (?P<function>.+)$")


def _when(triggerdef: str) -> tuple[str, str]:
    """('BEFORE INSERT OR UPDATE · row[ · deferred]', 'function(args)') from pg_get_triggerdef."""
    m = _TRIGGERDEF.match(triggerdef)
    assert m, triggerdef
    parts = [m["events"], m["level"].lower()]
    if "INITIALLY DEFERRED" in m["rest"]:
        parts.append("deferred")
    return " · ".join(parts), m["function"]


def documented_triggers() -> dict[tuple[str, str], dict]:
    rows: dict[tuple[str, str], dict] = {}
    for line in (ROOT / "docs" / "triggers.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 6 or not cells[0].startswith("`"):
            continue
        table, name, when, function, _guarantees, migration = cells
        key = (table.strip("`"), name.strip("`"))
        assert key not in rows, f"docs/triggers.md lists {key} twice"
        rows[key] = {"when": when, "function": function.strip("`"), "migration": migration.strip("`")}
    return rows


@pytest.mark.django_db
def test_triggers_doc_matches_pg_trigger():
    with connection.cursor() as cur:
        cur.execute(_TRIGGERS_SQL)
        actual = {(table, name): _when(definition) for table, name, definition in cur.fetchall()}
    documented = documented_triggers()
    assert len(actual) > 20  # the migrated schema, not an empty database
    undocumented = sorted(set(actual) - set(documented))
    gone = sorted(set(documented) - set(actual))
    assert not undocumented, f"triggers missing from docs/triggers.md: {undocumented}"
    assert not gone, f"docs/triggers.md lists triggers that do not exist: {gone}"
    for key, (when, function) in sorted(actual.items()):
        doc = documented[key]
        assert (doc["when"], doc["function"]) == (when, function), (key, doc, when, function)
        migration = ROOT / doc["migration"]
        assert migration.is_file() and key[1] in migration.read_text(), (key, doc["migration"])


# --- file paths named by docs/architecture.md and README.md ----------------------------------------

PATH_DOCS = ["docs/architecture.md", "README.md"]
# Named on purpose but not in a clone: created by the first run (git-ignored), or the shared
# contract and style guide that live beside the repository.
NOT_IN_REPOSITORY = {".venv/", ".data/", ".env"}
OUTSIDE_REPOSITORY = "../shared/"
_PATHLIKE = re.compile(r"^[A-Za-z0-9_.][\w.\-/]*$")
_EXTENSIONS = (".py", ".md", ".js", ".css", ".html", ".sh", ".toml", ".json", ".yml", ".yaml", ".cfg",
               ".env", ".example", ".lua", ".txt")


def named_paths(text: str) -> set[str]:
    """Backticked tokens that look like repository paths (a slash or a file extension; no spaces,
    no URL paths starting with `/`, no placeholders like `<id>`)."""
    found = set()
    for token in re.findall(r"`([^`\n]+)`", text):
        if _PATHLIKE.match(token) and ("/" in token or token.endswith(_EXTENSIONS)) and "://" not in token:
            found.add(token)
    return found


def linked_paths(text: str) -> set[str]:
    """Relative Markdown link targets, without their #anchor."""
    targets = re.findall(r"\]\(([^)\s]+)\)", text)
    return {t.split("#")[0] for t in targets if not re.match(r"^[a-z]+:|^#", t) and t.split("#")[0]}


def test_path_extraction():
    text = ("`access/api.py` and `docs/adr/` and `bin/ticketcore` and `manage.py`, not `/api/v1/scan`, "
            "`bin/ticketcore web`, `<app>/routing.py`, `DEBUG=false`, `ticketcore_app`; [ADR](adr/0007-x.md#why) "
            "[web](https://example.com) [here](#layout)")
    assert named_paths(text) == {"access/api.py", "docs/adr/", "bin/ticketcore", "manage.py"}
    assert linked_paths(text) == {"adr/0007-x.md"}


def _exists(path: str) -> bool:
    """A path from the repository root; a bare file name ("Inside an app, `services.py` ...") may
    also be one app's file."""
    return (ROOT / path).exists() or ("/" not in path and any(ROOT.glob(f"*/{path}")))


@pytest.mark.parametrize("doc", PATH_DOCS)
def test_every_path_a_doc_names_exists(doc):
    text = (ROOT / doc).read_text()
    names = {p for p in named_paths(text) - NOT_IN_REPOSITORY if not p.startswith(OUTSIDE_REPOSITORY)}
    assert len(names) > 5, names
    missing = sorted(p for p in names if not _exists(p))
    base = (ROOT / doc).parent
    missing += sorted(f"link {p}" for p in linked_paths(text) if not (base / p).exists())
    assert not missing, f"{doc} names paths that do not exist: {missing}"
