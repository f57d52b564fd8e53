import django.core.serializers.json
from django.db import migrations, models

from invoicing.amounts import Amounts, line_amounts


def fill_tax_amounts(apps, schema_editor):
    """Every existing document's per-tax amounts, from its lines by the product's one rounding rule."""
    Document = apps.get_model("invoicing", "Document")
    DocumentLine = apps.get_model("invoicing", "DocumentLine")
    documents = Document.objects.select_related("type").only("pk", "currency", "type__prices_include_tax")
    for document in documents.iterator(chunk_size=2000):
        total = Amounts()
        for line in DocumentLine.objects.filter(document=document).prefetch_related("taxes"):
            total = total + line_amounts(
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount=line.discount,
                rates={tax.pk: tax.rate for tax in line.taxes.all()},
                prices_include_tax=document.type.prices_include_tax,
                currency=document.currency,
            )
        if total.taxes:
            Document.objects.filter(pk=document.pk).update(tax_amounts=total.stored_taxes())


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0008_document_due_date_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="document",
            name="tax_amounts",
            field=models.JSONField(
                default=dict,
                editable=False,
                encoder=django.core.serializers.json.DjangoJSONEncoder,
                verbose_name="Tax per rate",
            ),
        ),
        migrations.RunPython(fill_tax_amounts, migrations.RunPython.noop),
    ]
