"""The database refuses a signing key stored in plain text: both ciphertexts have the sealed
length (nonce + 32 bytes + GCM tag = 60; a raw Ed25519 key is 32) and name their KEK."""
from django.db import migrations

FORWARD = r"""
ALTER TABLE events_signingkey ADD CONSTRAINT signingkey_stored_sealed_only
CHECK (octet_length(private_key_sealed) = 60 AND octet_length(data_key_wrapped) = 60 AND kek_id <> '');
"""

BACKWARD = "ALTER TABLE events_signingkey DROP CONSTRAINT IF EXISTS signingkey_stored_sealed_only;"


class Migration(migrations.Migration):
    dependencies = [("events", "0003_seal_signing_keys")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
