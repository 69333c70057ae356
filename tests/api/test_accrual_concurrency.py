"""Two accrual runs for one agreement at once: the second waits for the first and posts nothing twice."""

import threading
import time

from sqlalchemy import func, select

from ledger.agreements import service
from ledger.agreements.models import Obligation
from tests.api.agreements_helpers import batch, create_agreement, people
from tests.conftest import concurrent_api


def test_concurrent_accruals_post_once(committed_app):
    api, admin, _, _ = concurrent_api(committed_app, "GB", "RW")
    agreement = create_agreement(api, admin)
    batch(api, admin, agreement["id"], people("C", 20, "2026-03-02", "2026-03-03"))
    first_posted, counts = threading.Event(), {}

    def run(name, hold):
        with committed_app.app_context():
            s = committed_app.extensions["ledger.db"].new_session()
            if not hold:
                first_posted.wait()
            counts[name] = service.accrue_agreement(s, service.get(s, agreement["id"]), "2026-03")
            if hold:
                first_posted.set()
                time.sleep(0.5)
            s.commit()
            s.close()

    threads = [threading.Thread(target=run, args=("first", True)), threading.Thread(target=run, args=("second", False))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counts == {"first": 42, "second": 0}  # advance, instalment, 20 fees, 20 support months
    with committed_app.app_context():
        s = committed_app.extensions["ledger.db"].new_session()
        assert s.execute(select(func.count()).select_from(Obligation)).scalar() == 42
        s.close()
