"""What was sent, to whom, by whom and when (SPEC 11): one row per email that left."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from invoicing.models import Document


class DocumentSending(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="sendings")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    to = models.CharField(max_length=254)
    attachments = models.CharField(max_length=500, help_text="File names of what was attached.")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.document_id} → {self.to} at {self.at:%Y-%m-%d %H:%M}"
