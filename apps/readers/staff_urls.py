"""Admin-only pages of this app, mounted under /staff/readers/ (MFA required, non-admins get 404)."""

from django.urls import path

from . import staff_views

app_name = "staff_readers"
urlpatterns = [
    path("", staff_views.reader_list, name="reader_list"),
    path("<int:reader_id>/", staff_views.reader_detail, name="reader_detail"),
    path("taxonomy/<slug:kind>/", staff_views.taxonomy, name="taxonomy"),
    path("taxonomy/<slug:kind>/<int:term_id>/", staff_views.taxonomy_term, name="taxonomy_term"),
]
