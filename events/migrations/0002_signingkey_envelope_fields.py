"""Room for the envelope: the private key column becomes its sealed form (filled by 0003), with
the wrapped data key and the id of the key-encryption key beside it (docs/adr/0019)."""
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial")]

    operations = [
        migrations.RenameField(model_name="signingkey", old_name="private_key", new_name="private_key_sealed"),
        migrations.AddField(model_name="signingkey", name="data_key_wrapped",
                            field=models.BinaryField(default=b"", editable=False), preserve_default=False),
        migrations.AddField(model_name="signingkey", name="kek_id",
                            field=models.CharField(default="", editable=False, max_length=16), preserve_default=False),
    ]
