"""Shared web plumbing: templates, static files, security headers."""
