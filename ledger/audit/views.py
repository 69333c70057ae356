from flask.views import MethodView
from sqlalchemy import Select, bindparam

from contracts.audit import AuditArgs, AuditPageSchema
from ledger import listing
from ledger.api import blueprint
from ledger.audit.models import AuditRecord

blp = blueprint("audit", "The append-only, hash-chained audit log")


@blp.route("/audit", endpoint="audit_log")
class AuditLog(MethodView):
    @blp.reads(("auditor", "admin"), AuditPageSchema, query=AuditArgs)
    def get(self, args):
        """Read the audit log, oldest first"""
        values = {name: args[name] for name in ("action", "object_type", "object_id") if args.get(name)}
        return listing.prepared_rows_page(("audit", *sorted(values)), lambda _after: _query(values),
                                          AuditRecord.seq, args, values)


def _query(used: dict) -> Select:
    """The audit log's select for the filters `used`, their values as bound parameters of the same names (built
    once per shape, `listing.prepared_rows_page`)."""
    query = listing.columns_of(AuditRecord)
    for name in ("action", "object_type", "object_id"):
        if name in used:
            query = query.where(getattr(AuditRecord, name) == bindparam(name))
    return query
