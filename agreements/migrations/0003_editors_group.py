"""The Editors group: may view, add and change every record, delete none, manage no users."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS = "Editors"
ACTIONS = ("view", "add", "change")


def create_editors_group(apps, schema_editor):
    app_config = apps.get_app_config("agreements")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=EDITORS)
    codenames = [
        f"{action}_{model._meta.model_name}" for model in app_config.get_models() for action in ACTIONS
    ]
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="agreements", codename__in=codenames)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0002_reference_data"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_editors_group, migrations.RunPython.noop)]
