"""Checkout holds (the seed's `tickets_blocked`): one row per held ticket.

`one_hold_per_ticket` is the exclusivity guarantee: a ticket can be in at most one hold row at
all, so two holds can never both own a seat, however their transactions interleave. Expired rows
are not live but still occupy the slot until deleted; whoever takes the ticket next deletes them
in its own transaction (lazy expiry), the `tickets_unlock` sweep deletes the rest. See
docs/adr/0010-hold-design.md."""

import django.db.models.deletion
import django.db.models.functions.datetime
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0001_initial'),
        ('tickets', '0003_ledger_append_only_trigger'),
    ]

    operations = [
        migrations.CreateModel(
            name='TicketHold',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('hold_id', models.CharField(max_length=20)),
                ('locked_up', models.DateTimeField()),
                ('created_at', models.DateTimeField(db_default=django.db.models.functions.datetime.Now())),
                ('event', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='events.event')),
                ('ticket', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='tickets.ticket')),
            ],
            options={
                'db_table': 'tickets_blocked',
                'ordering': ['id'],
                'indexes': [models.Index(fields=['hold_id'], name='hold_id_idx'), models.Index(fields=['locked_up'], name='hold_locked_up_idx')],
                'constraints': [models.UniqueConstraint(fields=('ticket',), name='one_hold_per_ticket'), models.CheckConstraint(condition=models.Q(('locked_up__gt', models.F('created_at'))), name='hold_expires_after_creation')],
            },
        ),
    ]
