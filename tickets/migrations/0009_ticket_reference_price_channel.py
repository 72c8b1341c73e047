"""A ticket's reference, and what it was sold for and how (docs/adr/0024).

`reference` is added empty here and filled by 0010, which then makes it required and unique per
event. `price` and `channel` stay NULL until a sale sets them; guards:
`ticket_price_not_negative`, `ticket_channel_known` and `ticket_unsold_has_no_price` (an
available ticket carries neither, so un-selling clears both)."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("events", "0006_event_locale_and_zone_price"),
        ("tickets", "0008_ledger_refuse_truncate"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="reference",
            field=models.CharField(editable=False, max_length=10, null=True),
        ),
        migrations.AddField(
            model_name="ticket",
            name="price",
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=10, null=True),
        ),
        migrations.AddField(
            model_name="ticket",
            name="channel",
            field=models.CharField(blank=True, choices=[("online", "Online"), ("box_office", "Box office"),
                                                        ("manual", "Sold by staff")], max_length=10, null=True),
        ),
        migrations.AddConstraint(
            model_name="ticket",
            constraint=models.CheckConstraint(condition=models.Q(("price__isnull", True), ("price__gte", 0),
                                                                 _connector="OR"),
                                              name="ticket_price_not_negative"),
        ),
        migrations.AddConstraint(
            model_name="ticket",
            constraint=models.CheckConstraint(
                condition=models.Q(("channel__isnull", True), ("channel__in", ["online", "box_office", "manual"]),
                                   _connector="OR"),
                name="ticket_channel_known"),
        ),
        migrations.AddConstraint(
            model_name="ticket",
            constraint=models.CheckConstraint(
                condition=models.Q(("status", False), models.Q(("channel__isnull", True), ("price__isnull", True)),
                                   _connector="OR"),
                name="ticket_unsold_has_no_price"),
        ),
    ]
