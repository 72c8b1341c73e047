"""Encrypt the private keys stored in plain text before 0002 (rows with no KEK id yet) under the
current SIGNING_KEYS_KEK. Reversible: backwards decrypts them again (needs the KEK)."""
from django.db import migrations


def seal_plaintext(apps, schema_editor):
    from events.keyring import seal

    SigningKey = apps.get_model("events", "SigningKey")
    for key in SigningKey.objects.filter(kek_id="").only("key_id", "private_key_sealed"):
        envelope = seal(key.key_id, bytes(key.private_key_sealed))
        SigningKey.objects.filter(pk=key.pk).update(private_key_sealed=envelope.private_key_sealed,
                                                    data_key_wrapped=envelope.data_key_wrapped,
                                                    kek_id=envelope.kek_id)


def unseal_to_plaintext(apps, schema_editor):
    from events.keyring import Envelope, unseal

    SigningKey = apps.get_model("events", "SigningKey")
    for key in SigningKey.objects.exclude(kek_id=""):
        raw = unseal(key.key_id, Envelope(bytes(key.private_key_sealed), bytes(key.data_key_wrapped), key.kek_id))
        SigningKey.objects.filter(pk=key.pk).update(private_key_sealed=raw, data_key_wrapped=b"", kek_id="")


class Migration(migrations.Migration):
    dependencies = [("events", "0002_signingkey_envelope_fields")]
    operations = [migrations.RunPython(seal_plaintext, unseal_to_plaintext)]
