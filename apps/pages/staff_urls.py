"""Admin-only pages of this app, mounted under /staff/pages/ (MFA required, non-admins get 404)."""

from django.urls import path

from . import views

app_name = "staff_pages"
urlpatterns = [
    path("tickets/", views.staff_ticket_list, name="ticket_list"),
    path("tickets/panel/", views.staff_ticket_panel, name="ticket_panel"),
    path("tickets/<int:pk>/", views.staff_ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/close/", views.staff_ticket_close, name="ticket_close"),
    path("tickets/<int:pk>/reopen/", views.staff_ticket_reopen, name="ticket_reopen"),
]
