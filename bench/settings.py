"""The production settings, plus a minimal view (the framework's ceiling) for the load run."""

from diplomacy.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
