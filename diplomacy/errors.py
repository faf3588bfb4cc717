"""The page for an error no view handled: a database that cannot be reached or answer (down,
restarting, out of connections, locked past its busy timeout) is a 503 that says to try again,
not a server error."""

import sys

from django.db.utils import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader
from django.views.defaults import server_error as django_server_error

UNAVAILABLE = (OperationalError, InterfaceError)


def server_error(request):
    if isinstance(sys.exc_info()[1], UNAVAILABLE):
        response = HttpResponse(loader.get_template("503_database.html").render(), status=503)
        response["Retry-After"] = "60"
        return response
    return django_server_error(request)
