from flask.views import MethodView

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
        query = listing.columns_of(AuditRecord)
        for name in ("action", "object_type", "object_id"):
            if args.get(name):
                query = query.where(getattr(AuditRecord, name) == args[name])
        return listing.rows_page(query, AuditRecord.seq, args)
