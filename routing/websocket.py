"""Websocket URLs (CONTRACT.md: WebSocket)."""

from django.urls import re_path

from consumers.agent import AgentConsumer
from consumers.chat import ChatConsumer
from consumers.supervisor import SupervisorConsumer

UUID = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"

websocket_urlpatterns = [
    re_path(rf"^ws/chat/(?P<chat_id>{UUID})/$", ChatConsumer.as_asgi()),
    re_path(r"^ws/agent/$", AgentConsumer.as_asgi()),
    re_path(r"^ws/supervisor/$", SupervisorConsumer.as_asgi()),
]
