"""Checkpoint and Alert left this app (issue 15). State only: no table, row, constraint or
trigger changes; content types follow the models so admin permissions keep working."""

import django.db.models.deletion
from django.db import migrations, models

MOVES = [("checkpoint", "access", "events"), ("alert", "access", "alerts")]


def _move(apps, schema_editor, backwards=False):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model, old, new in MOVES:
        src, dst = (new, old) if backwards else (old, new)
        if not ContentType.objects.filter(app_label=dst, model=model).exists():
            ContentType.objects.filter(app_label=src, model=model).update(app_label=dst)


def move_content_types(apps, schema_editor):
    _move(apps, schema_editor)


def move_content_types_back(apps, schema_editor):
    _move(apps, schema_editor, backwards=True)


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('access', '0008_scan_function_without_test_switches'),
        ('devices', '0002_checkpoint_moved_to_events'),
        ('events', '0005_checkpoint_moved_from_access'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.RemoveField(
                model_name='checkpoint',
                name='event',
            ),
            migrations.AlterField(
                model_name='scan',
                name='checkpoint',
                field=models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='scans', to='events.checkpoint'),
            ),
            migrations.DeleteModel(
                name='Alert',
            ),
            migrations.DeleteModel(
                name='Checkpoint',
            ),
        ], database_operations=[]),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
