from django.apps import AppConfig


class QueueingConfig(AppConfig):
    name = "queueing"
    verbose_name = "Queue, hours and presence"

    def ready(self) -> None:
        from chats import outbox
        from queueing.broadcast import queue_changed

        outbox.queue_changed_hook = queue_changed
