from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "backoffice"

    def ready(self):
        # After the admin's autodiscovery (django.contrib.admin comes first in INSTALLED_APPS):
        # the exports' and report's links and actions join the registered ModelAdmins.
        from backoffice import export_admin

        export_admin.install()
