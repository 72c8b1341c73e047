"""The counters' tables (docs/adr/0033); 0002 gives them their trigger and fills them."""

from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
    ]

    operations = [
        migrations.CreateModel(
            name='GapCount',
            fields=[
                ('pk', models.CompositePrimaryKey('event_id', 'checkpoint_id', 'device_id', 'gap_cs', 'slot', blank=True, editable=False, primary_key=True, serialize=False)),
                ('event_id', models.CharField(max_length=40)),
                ('checkpoint_id', models.CharField(max_length=40)),
                ('device_id', models.CharField(max_length=40)),
                ('gap_cs', models.IntegerField()),
                ('slot', models.SmallIntegerField()),
                ('gaps', models.BigIntegerField(default=0)),
            ],
            options={
                'db_table': 'counters_gap',
            },
        ),
        migrations.CreateModel(
            name='GateCount',
            fields=[
                ('pk', models.CompositePrimaryKey('event_id', 'checkpoint_id', 'device_id', 'result', 'direction', 'slot', blank=True, editable=False, primary_key=True, serialize=False)),
                ('event_id', models.CharField(max_length=40)),
                ('checkpoint_id', models.CharField(max_length=40)),
                ('device_id', models.CharField(max_length=40)),
                ('result', models.CharField(max_length=8)),
                ('direction', models.CharField(max_length=3)),
                ('slot', models.SmallIntegerField()),
                ('scans', models.BigIntegerField(default=0)),
                ('inside', models.BigIntegerField(default=0)),
            ],
            options={
                'db_table': 'counters_gate',
            },
        ),
        migrations.CreateModel(
            name='MinuteCount',
            fields=[
                ('pk', models.CompositePrimaryKey('event_id', 'server_minute', 'checkpoint_id', 'device_id', 'minute', 'direction', 'result', 'mode', 'zone_id', 'credential', 'in_series', 'slot', blank=True, editable=False, primary_key=True, serialize=False)),
                ('event_id', models.CharField(max_length=40)),
                ('server_minute', models.DateTimeField()),
                ('minute', models.DateTimeField()),
                ('checkpoint_id', models.CharField(max_length=40)),
                ('device_id', models.CharField(max_length=40)),
                ('direction', models.CharField(max_length=3)),
                ('result', models.CharField(max_length=8)),
                ('mode', models.CharField(max_length=8)),
                ('zone_id', models.CharField(max_length=40)),
                ('credential', models.BooleanField()),
                ('in_series', models.BooleanField()),
                ('slot', models.SmallIntegerField()),
                ('scans', models.BigIntegerField(default=0)),
                ('late', models.BigIntegerField(default=0)),
                ('max_delay_s', models.FloatField(null=True)),
                ('arrivals', models.BigIntegerField(default=0)),
            ],
            options={
                'db_table': 'counters_minute',
            },
        ),
        migrations.CreateModel(
            name='ReasonCode',
            fields=[
                ('pk', models.CompositePrimaryKey('event_id', 'reason', 'code_md5', 'slot', blank=True, editable=False, primary_key=True, serialize=False)),
                ('event_id', models.CharField(max_length=40)),
                ('reason', models.CharField(max_length=32)),
                ('code_md5', models.UUIDField()),
                ('slot', models.SmallIntegerField()),
            ],
            options={
                'db_table': 'counters_reason_code',
            },
        ),
        migrations.CreateModel(
            name='ReasonCount',
            fields=[
                ('pk', models.CompositePrimaryKey('event_id', 'reason', 'device_id', 'slot', blank=True, editable=False, primary_key=True, serialize=False)),
                ('event_id', models.CharField(max_length=40)),
                ('reason', models.CharField(max_length=32)),
                ('device_id', models.CharField(max_length=40)),
                ('slot', models.SmallIntegerField()),
                ('scans', models.BigIntegerField(default=0)),
                ('codes', models.BigIntegerField(default=0)),
            ],
            options={
                'db_table': 'counters_reason',
            },
        ),
        migrations.CreateModel(
            name='ZoneCount',
            fields=[
                ('pk', models.CompositePrimaryKey('event_id', 'zone_id', 'device_id', 'slot', blank=True, editable=False, primary_key=True, serialize=False)),
                ('event_id', models.CharField(max_length=40)),
                ('zone_id', models.CharField(max_length=40)),
                ('device_id', models.CharField(max_length=40)),
                ('slot', models.SmallIntegerField()),
                ('inside', models.BigIntegerField(default=0)),
            ],
            options={
                'db_table': 'counters_zone',
            },
        ),
        migrations.CreateModel(
            name='FlowPending',
            fields=[
                ('scan_id', models.BigIntegerField(primary_key=True, serialize=False)),
                ('event_id', models.CharField(max_length=40)),
                ('device_id', models.CharField(max_length=40)),
            ],
            options={
                'db_table': 'counters_flow_pending',
                'indexes': [models.Index(fields=['device_id'], name='counters_flow_pending_device')],
            },
        ),
    ]
