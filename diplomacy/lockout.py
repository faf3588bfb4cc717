"""Login lockouts (django-axes): a username from one address, and one address whatever the
usernames, each with its own limit.

Axes counts one figure for all its lockout parameters against one limit. Here the failures of the
username from the address count against `AXES_FAILURE_LIMIT`, and all failures from the address,
for any usernames, against the higher `LOGIN_ADDRESS_FAILURE_LIMIT`: spraying one password over
many usernames is stopped, and an office behind one address is not locked out by one person's
typos."""

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum


class LockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None):
        pair, address = (
            attempts.aggregate(failures=Sum("failures_since_start"))["failures"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        # the address's count on the scale of the pair's limit: reaching one is reaching the other
        return max(pair, address * settings.AXES_FAILURE_LIMIT // settings.LOGIN_ADDRESS_FAILURE_LIMIT)
