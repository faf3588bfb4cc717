"""The editors' admin site: Django's, with autocomplete choices that say which one they are."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.views.autocomplete import AutocompleteJsonView

MAX_COUNTRIES = 20  # countries a leader search is narrowed to; a meeting has a few


class RecordAutocompleteView(AutocompleteJsonView):
    """Countries shown with their code ("United Kingdom (GB)"), leaders with their country and
    office; leaders for a meeting narrowed to the countries chosen on its form (`?country=IT`)."""

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.source_field.name == "leaders":
            codes = [code.upper() for code in self.request.GET.getlist("country")[:MAX_COUNTRIES]]
            if codes:
                queryset = queryset.filter(country__in=codes)
        return queryset

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        if obj._meta.label == "agreements.Country":
            result["text"] = f"{obj.name} ({obj.code})"
        elif obj._meta.label == "agreements.Leader":
            result["text"] = f"{obj.name} ({obj.country_id}), {obj.title}"
        return result


class EditorsAdminSite(admin.AdminSite):
    site_header = "Bilateral agreements: editors"
    site_title = "Bilateral agreements"
    index_title = "The record"

    def autocomplete_view(self, request):
        return RecordAutocompleteView.as_view(admin_site=self)(request)


class EditorsAdminConfig(AdminConfig):
    default_site = "agreements.admin_site.EditorsAdminSite"
