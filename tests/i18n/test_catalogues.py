"""The catalogues in the repository are whole and are what Django serves (docs/adr/0029):
every .po parses and compiles, nothing in it is untranslated or fuzzy, placeholders match, the
compiled .mo files are the .po files' (compile_catalogues writes them at install, in
`bin/ticketcore migrate` and in tests/i18n/conftest.py), and static/i18n/gettext.js agrees with
the settings it copies."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import translation

from ticketcore.management.commands.compile_catalogues import (
    ROOT,
    catalogue_files,
    compile_all,
    compile_catalogue,
    read_catalogue,
)

LOCALE = ROOT / "locale"
PO_FILES = catalogue_files([LOCALE])
GETTEXT_JS = ROOT / "static" / "i18n" / "gettext.js"


def _entries(po):
    with po.open("rb") as f:
        catalog = read_po(f, locale=po.parent.parent.name)
    return catalog, [m for m in catalog if m.id]


def test_every_language_but_the_source_has_both_catalogues():
    languages = [code for code, _ in settings.LANGUAGES if code != "en"]
    expected = {LOCALE / code / "LC_MESSAGES" / f"{domain}.po" for code in languages for domain in ("django", "djangojs")}
    assert expected <= set(PO_FILES), f"missing catalogues: {sorted(map(str, expected - set(PO_FILES)))}"


@pytest.mark.parametrize("po", PO_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_catalogue_is_whole_and_valid(po):
    """Untranslated and fuzzy entries show English on a Spanish screen: none may be committed.
    Babel's checks refuse a translation whose %(name)s placeholders differ from its msgid."""
    catalog, entries = _entries(po)
    untranslated = [m.id for m in entries if not (all(m.string) if m.pluralizable else m.string)]
    fuzzy = [m.id for m in entries if m.fuzzy]
    assert not untranslated, f"{po}: untranslated entries (write the Spanish):\n" + "\n".join(map(repr, untranslated))
    assert not fuzzy, f"{po}: fuzzy entries (check the Spanish, then remove the fuzzy flag):\n" + "\n".join(map(repr, fuzzy))
    read_catalogue(po)  # raises with the entries that fail Babel's checks
    # gettext.js evaluates no plural expressions: every catalogue uses the one/other rule.
    assert catalog.num_plurals == 2 and catalog.plural_expr.replace(" ", "") in ("(n!=1)", "n!=1"), (
        f"{po}: Plural-Forms must be 'nplurals=2; plural=(n != 1);' (static/i18n/gettext.js)")


def test_a_broken_placeholder_fails_the_compile(tmp_path):
    po = tmp_path / "es" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
                  '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
                  '#, python-format\nmsgid "Gate %(gate)s"\nmsgstr "Puerta %(puerta)s"\n')
    with pytest.raises(CommandError, match="gate"):
        compile_catalogue(po)
    assert not po.with_suffix(".mo").exists()


def test_compiled_catalogues_are_the_repository_catalogues():
    """What the .po files compile to is on disk (nothing stale), and compiling again writes
    nothing."""
    results = compile_all([LOCALE], check_only=True)
    assert results and not [str(r.mo) for r in results if r.written]
    call_command("compile_catalogues", check=True, verbosity=0)  # the command's own --check agrees


@pytest.mark.parametrize("po", [p for p in PO_FILES if p.stem == "django"], ids=lambda p: str(p.relative_to(ROOT)))
def test_django_serves_every_translation_of_the_po(po):
    """Every entry of the .po, looked up through Django in that language, gives the .po's
    translation: the compiled catalogue Django loaded is this one, and no other catalogue
    (Django's, DRF's) overrides ours."""
    language = po.parent.parent.name
    _, entries = _entries(po)
    wrong = []
    with translation.override(language):
        for m in entries:
            if m.pluralizable:
                got = [translation.npgettext(m.context, m.id[0], m.id[1], n) if m.context
                       else translation.ngettext(m.id[0], m.id[1], n) for n in (1, 2)]
                want = [m.string[0], m.string[1]]
            else:
                got = translation.pgettext(m.context, m.id) if m.context else translation.gettext(m.id)
                want = m.string
            if got != want:
                wrong.append(f"{m.id!r}: served {got!r}, the .po says {want!r}")
    assert not wrong, "\n".join(wrong)


def test_compile_needs_no_settings_and_no_gnu_gettext(tmp_path):
    """`make install` runs the module form before any .env exists; without msgfmt on PATH."""
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path)}  # no msgfmt here, no DJANGO_SETTINGS_MODULE
    result = subprocess.run([sys.executable, "-m", "ticketcore.management.commands.compile_catalogues", "--check"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "django.po" in result.stdout and "up to date" in result.stdout


def test_gettext_js_copies_the_settings():
    source = GETTEXT_JS.read_text()
    languages = re.search(r"export const LANGUAGES = \[(.*?)\];", source).group(1)
    assert [s.strip().strip('"') for s in languages.split(",")] == [code for code, _ in settings.LANGUAGES]
    assert re.search(r'export const DEFAULT_LANGUAGE = "(\w+)";', source).group(1) == settings.LANGUAGE_CODE
    assert re.search(r'const COOKIE = "(\w+)";', source).group(1) == settings.LANGUAGE_COOKIE_NAME
    # switchLanguage() writes the cookie as Django's set_language does.
    assert re.search(r"const COOKIE_AGE_S = 365 \* 24 \* 3600;", source) and settings.LANGUAGE_COOKIE_AGE == 365 * 24 * 3600
    assert settings.LANGUAGE_COOKIE_SAMESITE == "Lax" and "samesite=lax" in source
    assert settings.LANGUAGE_COOKIE_PATH == "/" and "path=/;" in source
