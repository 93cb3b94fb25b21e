"""Admin-only pages of this app, mounted under /staff/readings/ (MFA required, non-admins get 404)."""

from django.urls import path

from . import views

app_name = "staff_readings"
urlpatterns = [
    path("reviews/", views.staff_reviews, name="reviews"),
]
