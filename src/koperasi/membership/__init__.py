"""Joining and leaving the cooperative, and the member pages, API and import.

Joining opens the savings accounts every member has; leaving is refused while loans are open
and refunds the savings. These workflows span the members, savings and loans apps, so they
live here, above all three, and those apps never import each other in a circle.
"""
