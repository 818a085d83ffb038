"""Fixtures for the chat tests."""

from tests.attachment_files import attachment_root  # noqa: F401 (autouse: every test stores files under its own root)
