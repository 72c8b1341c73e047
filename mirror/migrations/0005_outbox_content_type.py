"""The outbox model's content type follows it from the old `ticketcore` app to `mirror` (issue 15)."""
from django.db import migrations


def _move(apps, src: str, dst: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label=dst, model="outboxentry").exists():
        ContentType.objects.filter(app_label=src, model="outboxentry").update(app_label=dst)


def forwards(apps, schema_editor):
    _move(apps, "ticketcore", "mirror")


def backwards(apps, schema_editor):
    _move(apps, "mirror", "ticketcore")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("mirror", "0004_outbox_path_index"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
