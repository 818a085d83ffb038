"""ASGI entry point: HTTP through Django, websockets through Channels.

get_asgi_application() must run before anything imports models (it sets Django up), so the
websocket routing is imported after it.
"""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatserver.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from routing.access_log import AccessLog  # noqa: E402
from routing.origin import OriginCheck  # noqa: E402
from routing.timer_start import StartTimers  # noqa: E402
from routing.websocket import websocket_urlpatterns  # noqa: E402

application = StartTimers(
    ProtocolTypeRouter(
        {
            "http": AccessLog(django_asgi_app),
            "websocket": OriginCheck(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
        }
    )
)

# What starting made (Django, the apps, the URL conf, the templates' loaders) lives as long as the
# process: out of the collector's generations, a full collection no longer walks it, so its pauses
# on the event loop shrink to what the sockets themselves hold. (gc.freeze: the technique Instagram
# described for its Django servers; see docs/benchmarks.md, scenario 1.)
gc.collect()
gc.freeze()
