"""Send reads to the read replica, writes to the primary (used when DATABASE_REPLICA_URL is set)."""

from .middleware import pinned_to_primary


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        return "default" if pinned_to_primary() else "replica"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same data.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
