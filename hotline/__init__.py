"""Hotline service: triage, conversation core, channels and staff console."""
