"""Admin-only pages of the forums, mounted under /staff/community/ (MFA required, non-admins get 404)."""

from django.urls import path

from . import staff_views

app_name = "staff_community"
urlpatterns = [
    path("forums/", staff_views.categories, name="categories"),
    path("forums/<int:pk>/", staff_views.category_edit, name="category_edit"),
]
