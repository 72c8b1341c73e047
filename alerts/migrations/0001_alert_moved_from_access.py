"""The Alert model moves from access/ to its own app (issue 15). State only: the table keeps
its name (access_alert), its rows and constraints."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('access', '0008_scan_function_without_test_switches'),
        ('events', '0005_checkpoint_moved_from_access'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name='Alert',
                fields=[
                    ('id', models.BigAutoField(primary_key=True, serialize=False)),
                    ('kind', models.CharField(max_length=32)),
                    ('message', models.CharField(max_length=500)),
                    ('data', models.JSONField(blank=True, default=dict)),
                    ('dedupe_key', models.CharField(blank=True, max_length=200, null=True)),
                    ('created_at', models.DateTimeField(auto_now_add=True)),
                    ('acknowledged_at', models.DateTimeField(blank=True, null=True)),
                    ('acknowledged_by', models.CharField(blank=True, default='', max_length=150)),
                    ('event', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='alerts', to='events.event')),
                ],
                options={
                    'db_table': 'access_alert',
                    'ordering': ['-id'],
                    'constraints': [models.CheckConstraint(condition=models.Q(('kind__in', ['offline_conflict', 'rejected_burst', 'invalid_signature_burst', 'revoked_device', 'device_silent', 'zone_capacity', 'late_upload', 'office_conflict'])), name='alert_kind_known'), models.UniqueConstraint(fields=('event', 'dedupe_key'), name='alert_dedupe')],
                },
            ),
        ], database_operations=[]),
    ]
