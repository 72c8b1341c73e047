"""The alerts' words are read in Spanish here too: the .mo files Django reads must be the ones the
repository's .po files compile to, before any test asks for a translation (as tests/i18n does)."""
from django.core.signals import setting_changed

from ticketcore.management.commands.compile_catalogues import ROOT, compile_all

if any(result.written for result in compile_all([ROOT / "locale"])):
    setting_changed.send(sender=None, setting="LOCALE_PATHS", value=None, enter=False)
