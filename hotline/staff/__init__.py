"""The staff console (web pages under /staff) and the `hotline staff` command line.

Hotline workers and supervisors log in here, see the risk-ordered queue, read the handover summary
before joining, chat with the person through machine translation (always labelled), hand back or
close with an outcome, and see contact requests, alerts and the audit log (docs/STAFF-GUIDE.md).
"""
