"""Paying partners: payment batches proposed from approved invoices, approved by a second officer, released as
an ISO 20022 pain.001 file, followed through the bank's pain.002 status and its debit (camt.054)."""
