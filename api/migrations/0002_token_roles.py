from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    # Each user creates and revokes their own tokens; what a token may do is the user's role.
    "Reviewer": ["view_apitoken", "add_apitoken", "change_apitoken"],
    "Accountant": ["view_apitoken", "add_apitoken", "change_apitoken"],
    "Administrator": ["view_apitoken", "add_apitoken", "change_apitoken", "manage_all_apitokens"],
}


def grant_tokens(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.add(*Permission.objects.filter(content_type__app_label="api", codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [("api", "0001_initial"), ("invoicing", "0002_roles")]

    operations = [migrations.RunPython(grant_tokens, migrations.RunPython.noop)]
