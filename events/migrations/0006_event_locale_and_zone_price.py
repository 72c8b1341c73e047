"""An event's locale and money, and a price per zone (docs/adr/0024).

Guards: `event_timezone_format` (the shape of an IANA name; the name itself is checked against
the tz database in Python), `event_currency_iso4217` (three capital letters; the list of real
codes is events/currencies.py), `event_language_known` (es or en), `zone_price_not_negative`.
Existing events get UTC, EUR and es; existing zones 0.00."""

from decimal import Decimal
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0005_checkpoint_moved_from_access'),
    ]

    operations = [
        migrations.AddField(
            model_name='event',
            name='currency',
            field=models.CharField(default='EUR', max_length=3),
        ),
        migrations.AddField(
            model_name='event',
            name='language',
            field=models.CharField(choices=[('es', 'Español'), ('en', 'English')], default='es', max_length=2),
        ),
        migrations.AddField(
            model_name='event',
            name='timezone',
            field=models.CharField(default='UTC', max_length=64),
        ),
        migrations.AddField(
            model_name='zone',
            name='price',
            field=models.DecimalField(decimal_places=2, default=Decimal('0.00'), max_digits=10),
        ),
        migrations.AddConstraint(
            model_name='event',
            constraint=models.CheckConstraint(condition=models.Q(('timezone__regex', '^[A-Za-z][A-Za-z0-9_+/-]{0,63}$')), name='event_timezone_format'),
        ),
        migrations.AddConstraint(
            model_name='event',
            constraint=models.CheckConstraint(condition=models.Q(('currency__regex', '^[A-Z]{3}$')), name='event_currency_iso4217'),
        ),
        migrations.AddConstraint(
            model_name='event',
            constraint=models.CheckConstraint(condition=models.Q(('language__in', ['es', 'en'])), name='event_language_known'),
        ),
        migrations.AddConstraint(
            model_name='zone',
            constraint=models.CheckConstraint(condition=models.Q(('price__gte', 0)), name='zone_price_not_negative'),
        ),
    ]
