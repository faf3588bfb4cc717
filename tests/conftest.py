from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def plain_static_storage(settings):
    """Tests render templates without running collectstatic first."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def seed(db):
    """The seed fixtures, loaded as `make run` loads them."""
    from django.core.management import call_command

    call_command("loaddata", "seed", verbosity=0)


RECORD_FILES = sorted((Path(__file__).resolve().parent.parent / "fixtures" / "record-2025-26").glob("*.json"))


@pytest.fixture
def realistic_record(seed):
    """The seed and the sourced record of 2025–26 meetings, loaded as `make run` loads them."""
    from django.core.management import call_command

    call_command("import_meetings", *map(str, RECORD_FILES), verbosity=0)


@pytest.fixture
def editor(db, django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("editor", password="a long editor password", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture(scope="session", autouse=True)
def reference_data(django_db_setup, django_db_blocker):
    """The countries, topics and groupings the migrations loaded, kept to restore them.

    Browser tests are transactional, so the database is flushed after each; under
    pytest-xdist it may not have been serialized for Django to restore it. Read before any
    test runs, so that an earlier transactional test's flush cannot leave it empty.
    """
    from django.core import serializers

    from agreements.models import Country, Grouping, Topic

    with django_db_blocker.unblock():
        return serializers.serialize(
            "json", [*Country.objects.all(), *Topic.objects.all(), *Grouping.objects.all()]
        )


@pytest.fixture
def reference_data_restored(reference_data):
    """For transactional tests: the reference data again if an earlier one's flush removed it."""
    from django.core import serializers

    from agreements.models import Country

    if not Country.objects.exists():
        for record in serializers.deserialize("json", reference_data):
            record.save()
