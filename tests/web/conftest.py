import pytest
from django.test import Client


@pytest.fixture
def english_client():
    """A browser that asks for English, for tests that read the wording of messages."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")
