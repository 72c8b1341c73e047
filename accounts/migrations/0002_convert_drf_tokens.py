"""Existing DRF tokens (rest_framework.authtoken, plain text) become hashed staff tokens, so the
clients that hold them keep working; then the plain-text table is dropped (docs/adr/0019).

A fresh database never had the table: nothing to do. Irreversible on purpose: the plain text is
gone, which is the point (reversing leaves the hashed tokens in place)."""
from django.db import migrations

FORWARD = r"""
DO $$
BEGIN
    IF to_regclass('authtoken_token') IS NOT NULL THEN
        INSERT INTO accounts_stafftoken (key_hash, user_id, created_at)
        SELECT encode(sha256(convert_to(key, 'UTF8')), 'hex'), user_id, created FROM authtoken_token
        ON CONFLICT (key_hash) DO NOTHING;
        DROP TABLE authtoken_token;
        -- So that installing rest_framework.authtoken again would create its table afresh.
        DELETE FROM django_migrations WHERE app = 'authtoken';
    END IF;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, migrations.RunSQL.noop)]
