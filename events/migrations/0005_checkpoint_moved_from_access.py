"""The Checkpoint model moves from access/ to events/ (issue 15): a gate is part of the venue
set-up, beside the zones. State only: the table keeps its name (access_checkpoint)."""

import django.contrib.postgres.fields
import django.db.models.deletion
from django.db import migrations, models

import events.models


class Migration(migrations.Migration):

    dependencies = [
        ('access', '0008_scan_function_without_test_switches'),
        ('events', '0004_signingkey_stored_sealed_only'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name='Checkpoint',
                fields=[
                    ('checkpoint_id', models.CharField(default=events.models.checkpoint_id, editable=False, max_length=16, primary_key=True, serialize=False)),
                    ('name', models.CharField(max_length=100)),
                    ('zones', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=16), blank=True, default=list, size=None)),
                    ('directions', models.CharField(choices=[('in', 'in'), ('out', 'out'), ('both', 'both')], default='both', max_length=4)),
                    ('created_at', models.DateTimeField(auto_now_add=True)),
                    ('event', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='checkpoints', to='events.event')),
                ],
                options={
                    'db_table': 'access_checkpoint',
                    'ordering': ['name'],
                    'constraints': [models.CheckConstraint(condition=models.Q(('directions__in', ['in', 'out', 'both'])), name='checkpoint_directions_known')],
                },
            ),
        ], database_operations=[]),
    ]
