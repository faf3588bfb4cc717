from django.contrib import admin
from django.urls import include, path

from agreements.admin_import import import_example_view, import_format_view, import_meetings_view

urlpatterns = [
    path(
        "admin/agreements/meeting/import/format/",
        admin.site.admin_view(import_format_view),
        name="admin-meeting-import-format",
    ),
    path(
        "admin/agreements/meeting/import/example.json",
        admin.site.admin_view(import_example_view),
        name="admin-meeting-import-example",
    ),
    path(
        "admin/agreements/meeting/import/",
        admin.site.admin_view(import_meetings_view),
        name="admin-meeting-import",
    ),
    path("admin/", admin.site.urls),
    path("", include("agreements.urls")),
]

handler500 = "diplomacy.errors.server_error"
