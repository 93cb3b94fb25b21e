from django.urls import path

from . import views

app_name = "privacy"
urlpatterns = [
    path("export/", views.export_view, name="export"),
    path("export/download/", views.export_download_view, name="export_download"),
    path("delete-account/", views.delete_view, name="delete"),
    path("delete-account/confirm/", views.delete_confirm_view, name="delete_confirm"),
    path("delete-account/cancel/", views.delete_cancel_view, name="delete_cancel"),
]
