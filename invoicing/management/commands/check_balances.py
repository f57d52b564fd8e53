"""Audit every stored balance against first principles; exits non-zero when anything differs."""

from django.core.management.base import BaseCommand, CommandError

from invoicing import selectors
from invoicing.models import Document


class Command(BaseCommand):
    help = (
        "Recompute every document's total, net paid, credit applied, debt total, balance due and status from "
        "its lines, payments, corrections and returns, and report each difference (exit status 1 if any)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--chunk-size", type=int, default=2000, help="Documents read per query (default 2000).")

    def handle(self, *args, chunk_size, **options):
        differences = selectors.balance_audit(chunk_size=chunk_size)
        for difference in differences:
            self.stdout.write(str(difference))
        checked = Document.objects.count()
        if differences:
            documents = len({d.document_id for d in differences})
            raise CommandError(
                f"{len(differences)} difference(s) in {documents} of {checked} document(s); "
                "see above (stored value, then the value first principles give)."
            )
        self.stdout.write(
            self.style.SUCCESS(f"All {checked} document(s) agree with their lines, payments, corrections and returns.")
        )
