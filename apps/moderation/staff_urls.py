"""Admin-only pages of this app, mounted under /staff/moderation/ (MFA required, non-admins get 404).

The moderation queue itself is under /moderation/queue/ (``urls.py``), open to moderators who are not admins.
"""

from django.urls import path

from . import staff_views

app_name = "staff_moderation"
urlpatterns = [
    path("users/<int:user_id>/", staff_views.user, name="user"),
]
