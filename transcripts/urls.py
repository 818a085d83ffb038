"""Supervisor and agent APIs under /api/ (transcripts, audit, metrics)."""

from django.urls import path

from transcripts import attachment_views, commitment_views, history_views, report_views, views

urlpatterns = [
    path("transcripts/", views.transcript_list, name="api-transcripts"),
    path("transcripts/<str:case_number>/", views.transcript_detail, name="api-transcript"),
    path("transcripts/<str:case_number>/export.pdf", views.transcript_pdf, name="api-transcript-pdf"),
    path("transcripts/<str:case_number>/send-copy/", views.transcript_copy, name="api-transcript-copy"),
    path("transcripts/<str:case_number>/legal-hold/", views.legal_hold, name="api-transcript-legal-hold"),
    path("transcripts/<str:case_number>/unmask/", views.unmask, name="api-transcript-unmask"),
    path("chats/<uuid:chat_id>/attachments/", attachment_views.upload, name="api-chat-attachments"),
    path("attachments/<uuid:attachment_id>/", attachment_views.download, name="api-attachment"),
    path("commitments/", commitment_views.commitment_list, name="api-commitments"),
    path("commitments/<uuid:commitment_id>/done/", commitment_views.commitment_done, name="api-commitment-done"),
    path("chats/<uuid:chat_id>/history/", history_views.history, name="api-chat-history"),
    path("chats/<uuid:chat_id>/history/<str:case_number>/", history_views.history_chat, name="api-chat-history-case"),
    path("audit/", report_views.audit_list, name="api-audit"),
    path("metrics/", report_views.metrics, name="api-metrics"),
]
