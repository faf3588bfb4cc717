"""The app's URLs plus `/bench/ceiling/`: a minimal view, the framework's ceiling under load."""

from django.http import HttpResponse
from django.urls import include, path


def ceiling(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/ceiling/", ceiling), path("", include("diplomacy.urls"))]
