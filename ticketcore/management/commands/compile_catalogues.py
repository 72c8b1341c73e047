"""Compile the translation catalogues (locale/<lang>/LC_MESSAGES/*.po) into the .mo files Django
reads, with Babel: `compilemessages` needs GNU gettext's msgfmt, which a server may not have
(docs/adr/0029).

    manage.py compile_catalogues [--check]
    python -m ticketcore.management.commands.compile_catalogues [--check]   # no settings needed

The second form is what `make install` runs (before any .env exists); `bin/ticketcore migrate`
runs the first (ticketcore/management/commands/migrate_locked.py), so every deployment serves
catalogues compiled from the .po files it has. Each catalogue is compiled in memory and written
(atomically) only when the bytes differ, so running it again is cheap and changes nothing. A
catalogue that does not parse, or a translation whose placeholders do not match its msgid
(`%(name)s`), fails the command: Django would raise on it at request time. Fuzzy entries are left
out (the English text shows) and counted. .mo files are build output, ignored by git."""
from __future__ import annotations

import io
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Compiled:
    po: Path
    mo: Path
    messages: int  # entries with a msgid (the header excluded)
    translated: int
    fuzzy: int
    written: bool  # False: the .mo on disk was already this


def catalogue_files(locale_dirs) -> list[Path]:
    """Every .po under the locale directories: <dir>/<lang>/LC_MESSAGES/<domain>.po."""
    return sorted(po for root in locale_dirs for po in Path(root).glob("*/LC_MESSAGES/*.po"))


def read_catalogue(po: Path):
    """The parsed catalogue; CommandError naming the file and the entries on any problem."""
    from babel.messages.pofile import PoFileError, read_po

    language = po.parent.parent.name
    try:
        with po.open("rb") as f:
            catalog = read_po(f, locale=language, domain=po.stem, abort_invalid=True)
    except (PoFileError, ValueError) as exc:
        raise CommandError(f"{po}: cannot be parsed: {exc}") from exc
    problems = [f"  line {message.lineno}: {message.id!r}: {'; '.join(str(e) for e in errors)}"
                for message, errors in catalog.check()]
    if problems:
        raise CommandError(f"{po}: translations that Django would fail on:\n" + "\n".join(problems))
    return catalog


def compiled_bytes(catalog) -> bytes:
    from babel.messages.mofile import write_mo

    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)  # a server reading the catalogue sees the old file or the new one
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def compile_catalogue(po: Path, *, check_only: bool = False) -> Compiled:
    catalog = read_catalogue(po)
    data = compiled_bytes(catalog)
    mo = po.with_suffix(".mo")
    entries = [m for m in catalog if m.id]
    fuzzy = sum(1 for m in entries if m.fuzzy)
    translated = sum(1 for m in entries if not m.fuzzy and (all(m.string) if m.pluralizable else m.string))
    current = mo.read_bytes() if mo.exists() else None
    written = current != data
    if written and not check_only:
        _write_atomically(mo, data)
    return Compiled(po=po, mo=mo, messages=len(entries), translated=translated, fuzzy=fuzzy, written=written)


def compile_all(locale_dirs, *, check_only: bool = False) -> list[Compiled]:
    return [compile_catalogue(po, check_only=check_only) for po in catalogue_files(locale_dirs)]


def report(results: list[Compiled], *, check_only: bool, out) -> None:
    for r in results:
        state = ("stale" if check_only else "compiled") if r.written else "up to date"
        fuzzy = f", {r.fuzzy} fuzzy (left out)" if r.fuzzy else ""
        out.write(f"{r.po}: {r.translated}/{r.messages} translated{fuzzy}; {state}\n")


class Command(BaseCommand):
    help = "Compile locale/*/LC_MESSAGES/*.po to .mo with Babel (no GNU gettext needed)."
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true",
                            help="write nothing; exit 1 if a .mo is missing or differs from its .po")

    def handle(self, *args, check: bool = False, **options):
        from django.conf import settings

        results = compile_all(settings.LOCALE_PATHS, check_only=check)
        if options["verbosity"] > 1 or check:
            report(results, check_only=check, out=self.stdout)
        if check and any(r.written for r in results):
            raise CommandError("compiled catalogues are stale: run `manage.py compile_catalogues`", returncode=1)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    try:
        results = compile_all([ROOT / "locale"], check_only=check)
    except CommandError as exc:
        print(exc, file=sys.stderr)
        return 1
    report(results, check_only=check, out=sys.stdout)
    return 1 if check and any(r.written for r in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
