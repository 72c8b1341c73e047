"""The ticket's keys compare byte by byte (COLLATE "C"): ticket_id, seat_id, reference and
zone_id (docs/adr/0041). They are ASCII codes nobody reads in alphabetical order, but each was
compared with the database's collation (C.UTF-8 here; en_US.UTF-8 on many servers) through
strcoll() in every B-tree step: generation inserts 100,000 random keys into three unique
indexes, and every scan looks its ticket up by ticket_id. Equality is unchanged (both are
deterministic collations); only ORDER BY zone_id among mixed-case codes could differ from a
language collation. PostgreSQL rebuilds the four indexes that hold these columns; no table rewrite."""
import tickets.references
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0015_ledger_one_insert_trigger'),
    ]

    operations = [
        migrations.AlterField(
            model_name='ticket',
            name='reference',
            field=models.CharField(db_collation='C', default=tickets.references.new_reference, editable=False, help_text='The short code printed on the ticket, typed when its code cannot be read.', max_length=10, verbose_name='reference'),
        ),
        migrations.AlterField(
            model_name='ticket',
            name='seat_id',
            field=models.CharField(db_collation='C', max_length=32, verbose_name='seat'),
        ),
        migrations.AlterField(
            model_name='ticket',
            name='ticket_id',
            field=models.CharField(db_collation='C', max_length=48, verbose_name='ticket id'),
        ),
        migrations.AlterField(
            model_name='ticket',
            name='zone_id',
            field=models.CharField(db_collation='C', max_length=16, verbose_name='zone code'),
        ),
    ]
