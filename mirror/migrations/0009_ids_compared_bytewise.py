"""The outbox's document path compares byte by byte (COLLATE "C"), as the ticket's keys do
(tickets/migrations/0016, docs/adr/0041): every queued document inserts its path into
outbox_path_idx, 100,000 of them at a generation. Only equality and grouping read it. The
mirror's own record of the documents it wrote (ticketcore_mirror_doc, 0007) takes the same
collation: the drain joins the two on path, and PostgreSQL refuses to compare strings of two
different implicit collations."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('mirror', '0008_ledger_outbox_reads_only_its_tickets'),
    ]

    operations = [
        migrations.AlterField(
            model_name='outboxentry',
            name='path',
            field=models.CharField(db_collation='C', max_length=200, verbose_name='document path'),
        ),
        migrations.RunSQL('ALTER TABLE ticketcore_mirror_doc ALTER COLUMN path TYPE varchar(200) COLLATE "C"',
                          'ALTER TABLE ticketcore_mirror_doc ALTER COLUMN path TYPE varchar(200) COLLATE "default"'),
    ]
