"""The project app has no models; this module exists so that Django sends it post_migrate,
which grants the application role its rights after every migrate (ticketcore/dbroles.py)."""
