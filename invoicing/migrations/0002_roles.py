"""The three roles of the product as groups with their model permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

DOCUMENT_MODELS = ["document", "bill", "invoice", "documentline"]
MASTER_DATA = ["company", "partner", "tax", "item", "paymentmethod", "documenttype", "billtype", "invoicetype"]
TRANSITIONS = ["post_document", "cancel_document", "reset_document"]
# Added by 0007_allocations (which grants them on existing databases too).
MONEY_MOVES = ["add_allocation", "reverse_payment"]


def _codenames(actions, models):
    return [f"{action}_{model}" for action in actions for model in models]


ROLES = {
    "Reviewer": _codenames(["view"], DOCUMENT_MODELS + MASTER_DATA + ["payment", "documenttransition", "allocation"]),
    "Accountant": (
        _codenames(["view", "add", "change", "delete"], DOCUMENT_MODELS)
        + _codenames(["view", "add"], ["payment"])
        + _codenames(["view"], MASTER_DATA + ["documenttransition"])
        + _codenames(["add", "change"], ["partner", "item"])
        + _codenames(["view"], ["allocation"])
        + TRANSITIONS
        + MONEY_MOVES
    ),
    "Administrator": (
        _codenames(["view", "add", "change", "delete"], DOCUMENT_MODELS + MASTER_DATA + ["payment"])
        + _codenames(["view"], ["documenttransition", "allocation"])
        + TRANSITIONS
        + MONEY_MOVES
    ),
}
ADMIN_AUTH = _codenames(["view", "add", "change", "delete"], ["user", "group"])


def create_roles(apps, schema_editor):
    # Permissions are normally created after migrate; create them now so the groups can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(content_type__app_label="invoicing", codename__in=codenames)
        if name == "Administrator":
            permissions = permissions | Permission.objects.filter(
                content_type__app_label="auth", codename__in=ADMIN_AUTH
            )
        group.permissions.set(permissions)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
