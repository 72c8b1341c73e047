"""Platform tables that belong to no domain app: the Firestore outbox (docs/adr/0011)."""
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

OUTBOX_KINDS = ("event", "zones", "keys", "ticket", "credential")
# I = the source row was inserted (the drain may `create` without reading Firestore first),
# U = updated, D = deleted, R = repair (`mirror_event`: rewrite whatever Firestore holds).
OUTBOX_OPS = ("I", "U", "D", "R")


class OutboxEntry(models.Model):
    """One pending change of one Firestore document. Rows are written only by the PostgreSQL
    triggers of mirror/migrations/0002 and 0003 (in the transaction that made the change),
    and deleted only by the drain once Firestore acknowledged the write. A row carries no
    payload: the drain mirrors the document's state as PostgreSQL holds it when it drains."""

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(_("kind"), max_length=16)
    event_id = models.CharField(_("event id"), max_length=20)
    key = models.CharField(_("key"), max_length=64, blank=True, default="")  # ticket doc_id / credential_id
    path = models.CharField(_("document path"), max_length=200)  # the Firestore document path
    op = models.CharField(_("operation"), max_length=1)
    created_at = models.DateTimeField(_("created at"), db_default=models.functions.Now())

    class Meta:
        verbose_name = _("mirror outbox entry")
        verbose_name_plural = _("mirror outbox entries")
        db_table = "ticketcore_outbox"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=OUTBOX_KINDS), name="outbox_kind_known"),
            models.CheckConstraint(condition=Q(op__in=OUTBOX_OPS), name="outbox_op_known"),
        ]
        # The drain sweeps every queued row of the documents it writes (one write per document,
        # however many changes queued it), and the off-mode compaction groups by document.
        indexes = [models.Index(fields=["path", "id"], name="outbox_path_idx")]

    def __str__(self) -> str:
        return f"{self.op} {self.path}"
