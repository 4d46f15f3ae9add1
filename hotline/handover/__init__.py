"""Warm handover to hotline staff: records, queue, alerts."""
