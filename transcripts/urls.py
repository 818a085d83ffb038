"""Supervisor and agent APIs under /api/ (transcripts, audit, metrics)."""

urlpatterns: list = []
