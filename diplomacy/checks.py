"""Configuration that works but is probably not what was meant: warned of by `manage.py check`,
which `make release` (through `migrate`) and `make serve` run before starting."""

from django.conf import settings
from django.core.checks import Warning, register


@register("security")
def proxy_count(app_configs=None, **kwargs):
    if settings.HTTPS and settings.PROXY_COUNT == 0:
        return [
            Warning(
                "HTTPS is on but PROXY_COUNT is 0: behind a proxy or load balancer every client has "
                "its address, so one person's failed logins lock everyone out.",
                hint="Set PROXY_COUNT to the number of proxies in front that add X-Forwarded-For.",
                id="diplomacy.W001",
            )
        ]
    return []
