from django.apps import AppConfig


class TicketcoreConfig(AppConfig):
    name = "ticketcore"
    verbose_name = "TicketCore platform"

    def ready(self):
        from django.db.models.signals import post_migrate

        from ticketcore.dbroles import grant_after_migrate

        # Once per migrate run (post_migrate is sent for every app; this sender is one of them).
        post_migrate.connect(grant_after_migrate, sender=self, dispatch_uid="ticketcore_grant_app_role")
