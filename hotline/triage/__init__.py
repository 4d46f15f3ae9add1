"""Triage: the hotline's safety net. Every inbound message gets an urgency tier (P0-P3), a child
flag, indicator names and reasons for staff, whether or not the dialogue engine is up.

Public entry points: :func:`hotline.triage.engine.triage` and :func:`hotline.triage.engine.combine`.
"""
