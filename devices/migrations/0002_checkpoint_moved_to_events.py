"""Device.checkpoint now points at events.Checkpoint (the same table). State only."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('devices', '0001_initial'),
        ('events', '0005_checkpoint_moved_from_access'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(
                model_name='device',
                name='checkpoint',
                field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='devices', to='events.checkpoint'),
            ),
        ], database_operations=[]),
    ]
