from django.urls import path

from . import views
from .enums import PolicySlug

app_name = "pages"
urlpatterns = [
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
    path("terms/", views.policy_page, {"slug": str(PolicySlug.TERMS)}, name="terms"),
    path("privacy/", views.policy_page, {"slug": str(PolicySlug.PRIVACY)}, name="privacy"),
    path("refunds/", views.policy_page, {"slug": str(PolicySlug.REFUNDS)}, name="refunds"),
    path("help/", views.help_center, name="help"),
    path("help/contact/", views.contact, name="contact"),
    path("help/contact/sent/", views.contact_sent, name="contact_sent"),
    path("help/<slug:slug>/", views.help_article, name="help_article"),
]
