from django.urls import path

from web import canned_views, commitment_views, portal_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("chat/", views.provider_chat, name="provider-chat"),
    path("chat/portal/", portal_views.portal_chat, name="portal-chat"),
    path("agent/", views.agent_console, name="agent-console"),
    path("supervisor/", views.supervisor_floor, name="supervisor-floor"),
    path("supervisor/transcripts/", views.supervisor_transcripts, name="supervisor-transcripts"),
    path("supervisor/transcripts/<str:case_number>/", views.supervisor_transcript, name="supervisor-transcript"),
    path("supervisor/audit/", views.supervisor_audit, name="supervisor-audit"),
    path("supervisor/metrics/", views.supervisor_metrics, name="supervisor-metrics"),
    path("supervisor/canned/", canned_views.canned_replies, name="supervisor-canned"),
    path("supervisor/commitments/", commitment_views.commitments_page, name="supervisor-commitments"),
]
