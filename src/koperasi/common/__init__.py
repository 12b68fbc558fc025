"""Plumbing shared by every app's web pages and API: forms, API types, idempotency, spreadsheets.

It sits below the apps: it may import `domain`, `errors` and Django, never an app.
"""
